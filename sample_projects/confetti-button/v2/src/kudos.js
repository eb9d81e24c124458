import { customAlphabet } from "nanoid";

// Short, readable ids: no look-alike characters.
const shortId = customAlphabet("23456789abcdefghjkmnpqrstuvwxyz", 6);

export const REASONS = ["shipped it", "fixed the flaky test", "reviewed fast", "wrote great docs", "helped a teammate"];

export function createKudos(name, reason) {
  return { id: shortId(), name, reason, at: new Date() };
}

export function renderKudos(kudos) {
  const li = document.createElement("li");
  li.className = "kudos";
  li.dataset.id = kudos.id;
  const initials = kudos.name
    .split(/\s+/)
    .map((part) => part[0] || "")
    .join("")
    .slice(0, 2)
    .toUpperCase();
  li.innerHTML = `<span class="avatar"></span><div><strong></strong><span class="reason"></span></div><code></code>`;
  li.querySelector(".avatar").textContent = initials;
  li.querySelector("strong").textContent = kudos.name;
  li.querySelector(".reason").textContent = kudos.reason;
  li.querySelector("code").textContent = `#${kudos.id}`;
  return li;
}
