import { NO_BALANCES, useTrading } from "../hooks/useTrading";
import { formatDecimal } from "../lib/format";

const DECIMALS: Record<string, number> = { USDT: 2, BTC: 5, ETH: 4, SOL: 3 };

/** Balances per asset: total, reserved by open orders, available. */
export function Balances() {
  const balances = useTrading((s) => s.account?.balances ?? NO_BALANCES);
  return (
    <table aria-label="Balances">
      <thead>
        <tr>
          <th scope="col">Asset</th>
          <th scope="col" className="num">Total</th>
          <th scope="col" className="num">Reserved</th>
          <th scope="col" className="num">Available</th>
        </tr>
      </thead>
      <tbody>
        {balances.map((b) => {
          const places = DECIMALS[b.asset] ?? 8;
          return (
            <tr key={b.asset} data-asset={b.asset}>
              <td>{b.asset}</td>
              <td className="num" data-testid={`balance-${b.asset}`}>
                {formatDecimal(b.total, places)}
              </td>
              <td className="num">{formatDecimal(b.reserved, places)}</td>
              <td className="num">{formatDecimal(b.available, places)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
