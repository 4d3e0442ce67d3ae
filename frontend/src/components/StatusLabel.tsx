import type { OrderStatus } from "../api/types";

const TEXT: Record<OrderStatus, string> = {
  PENDING_NEW: "Pending",
  NEW: "Open",
  PARTIALLY_FILLED: "Partially filled",
  FILLED: "Filled",
  PENDING_CANCEL: "Canceling",
  CANCELED: "Canceled",
  PENDING_REPLACE: "Amending",
  REJECTED: "Rejected",
  EXPIRED: "Expired",
};

/** An order status in words, coloured by outcome. */
export function StatusLabel({ status }: { status: OrderStatus }) {
  return (
    <span className={`status status-${status.toLowerCase()}`} data-status={status}>
      {TEXT[status]}
    </span>
  );
}
