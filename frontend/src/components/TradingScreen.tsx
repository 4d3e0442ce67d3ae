import { AccountSummary } from "./AccountSummary";
import { Blotter } from "./Blotter";
import { ConnectionIndicator } from "./ConnectionIndicator";
import { DepthChart } from "./DepthChart";
import { MarketSelector } from "./MarketSelector";
import { MarketStats } from "./MarketStats";
import { Notices } from "./Notices";
import { OrderBook } from "./OrderBook";
import { OrderTicket } from "./OrderTicket";
import { PriceChart } from "./PriceChart";
import { RecentTrades } from "./RecentTrades";
import { SessionRefused } from "./SessionRefused";
import { TradingStateBadge } from "./TradingStateBadge";
import { useSession } from "../hooks/useTrading";

/** The main screen: markets on top, book and trades, chart, ticket and account, blotter below. */
export function TradingScreen({ onSignOut }: { onSignOut: () => void }) {
  const { account } = useSession();
  return (
    <div className="screen">
      <header className="topbar">
        <span className="brand">OMS</span>
        <MarketSelector />
        <div className="topbar-right">
          <TradingStateBadge />
          <ConnectionIndicator />
          <span className="muted" aria-label="Signed in as">
            {account}
          </span>
          <button type="button" className="btn btn-small" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <SessionRefused onSignOut={onSignOut} />
      <MarketStats />
      <main className="grid">
        <div className="col-book">
          <OrderBook />
          <RecentTrades />
        </div>
        <div className="col-chart">
          <PriceChart />
          <DepthChart />
        </div>
        <div className="col-ticket">
          <OrderTicket />
          <AccountSummary />
        </div>
        <div className="col-blotter">
          <Blotter />
        </div>
      </main>
      <Notices />
    </div>
  );
}
