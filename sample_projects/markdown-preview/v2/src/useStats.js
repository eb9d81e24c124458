import { useMemo } from "react";

export function useStats(text) {
  return useMemo(() => {
    const words = (text.match(/[A-Za-z0-9'’-]+/g) || []).length;
    return { words, minutes: Math.max(1, Math.round(words / 220)), chars: text.length };
  }, [text]);
}
