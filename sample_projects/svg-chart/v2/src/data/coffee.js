export const title = "Cups of coffee served";
export const subtitle = "Corner Café, by month";

export const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export const years = {
  2024: [3640, 3510, 3980, 4230, 4650, 5020, 5310, 5190, 4700, 4390, 4180, 4960],
  2025: [4120, 3890, 4460, 4710, 5230, 5610, 5980, 5720, 5150, 4870, 4620, 5390],
};
