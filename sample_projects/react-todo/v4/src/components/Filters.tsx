import type { Filter } from "../types";

const OPTIONS: { value: Filter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "active", label: "Active" },
  { value: "done", label: "Done" },
];

interface Props {
  value: Filter;
  onChange: (filter: Filter) => void;
  doneCount: number;
  onClearDone: () => void;
}

export function Filters({ value, onChange, doneCount, onClearDone }: Props) {
  return (
    <nav className="filters">
      <div className="segmented" role="tablist">
        {OPTIONS.map((o) => (
          <button
            key={o.value}
            role="tab"
            aria-selected={value === o.value}
            className={value === o.value ? "active" : ""}
            onClick={() => onChange(o.value)}
          >
            {o.label}
          </button>
        ))}
      </div>
      <button className="link" disabled={doneCount === 0} onClick={onClearDone}>
        Clear done ({doneCount})
      </button>
    </nav>
  );
}
