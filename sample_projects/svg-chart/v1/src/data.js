export const title = "Cups of coffee served";
export const subtitle = "Corner Café, 2025, by month";

export const series = [
  { label: "Jan", value: 4120 },
  { label: "Feb", value: 3890 },
  { label: "Mar", value: 4460 },
  { label: "Apr", value: 4710 },
  { label: "May", value: 5230 },
  { label: "Jun", value: 5610 },
  { label: "Jul", value: 5980 },
  { label: "Aug", value: 5720 },
  { label: "Sep", value: 5150 },
  { label: "Oct", value: 4870 },
  { label: "Nov", value: 4620 },
  { label: "Dec", value: 5390 },
];
