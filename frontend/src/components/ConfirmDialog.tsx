import { useEffect, useRef } from "react";

interface Props {
  title: string;
  children: React.ReactNode;
  confirmLabel: string;
  tone: "buy" | "sell";
  onConfirm: () => void;
  onCancel: () => void;
}

/** A modal confirmation: focus starts on Confirm, Escape cancels, Enter confirms. */
export function ConfirmDialog({ title, children, confirmLabel, tone, onConfirm, onCancel }: Props) {
  const confirm = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    confirm.current?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === "Escape") onCancel();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onCancel]);
  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
        <h2 id="confirm-title">{title}</h2>
        <div className="modal-body">{children}</div>
        <div className="modal-actions">
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" ref={confirm} className={`btn btn-${tone}`} onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
