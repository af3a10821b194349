// The inbox (消息), shared by the customer's and the leader's pages: the
// unread count as a badge, the newest notifications (more on demand), and
// marking one or all of them read. Titles and bodies come from the server in
// Chinese; a refused mark shows its userError through i18n.js.
import { el, gql } from "./graphql.js";
import { zh } from "./i18n.js";

const PAGE = 10;
const INBOX = `query($first: Int!, $after: String) { viewer { unreadNotifications
  notifications(first: $first, after: $after) {
    nodes { id kind title body createdAt readAt } pageInfo { hasNextPage endCursor } } } }`;
const MARK = `mutation($input: NotificationMarkReadInput!) { notificationMarkRead(input: $input) {
  marked unreadNotifications userErrors { field code message } } }`;

// Shown in the platform's zone, like every business time.
const when = (iso) => new Date(iso).toLocaleString("zh-CN", {
  timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit",
});

/** The inbox card; redraws itself after marking read. */
export async function inboxCard(card = el("section", { id: "inbox", class: "card" })) {
  const { viewer } = await gql(INBOX, { first: PAGE });
  if (!viewer) {
    card.replaceChildren();
    return card;
  }
  const unread = viewer.unreadNotifications;
  const list = el("ul", { id: "inbox-list" });
  const more = el("button", { type: "button", id: "inbox-more" }, "查看更早的消息");
  const page = (connection) => {
    list.append(...connection.nodes.map((n) => item(card, n)));
    more.hidden = !connection.pageInfo.hasNextPage;
    more.dataset.after = connection.pageInfo.endCursor ?? "";
  };
  more.addEventListener("click", async () => {
    const { viewer: next } = await gql(INBOX, { first: PAGE, after: more.dataset.after });
    page(next.notifications);
  });
  page(viewer.notifications);
  card.replaceChildren(
    el("h2", {}, "消息 ", el("span", { id: "inbox-unread", class: "badge", hidden: unread === 0 }, String(unread))),
    unread ? el("button", { type: "button", id: "inbox-read-all", onclick: () => mark(card, { all: true }) }, "全部标为已读") : "",
    viewer.notifications.nodes.length ? list : el("p", { class: "empty" }, "暂无消息。"),
    more,
  );
  return card;
}

function item(card, n) {
  return el("li", { class: "notification", "data-kind": n.kind, "data-unread": n.readAt === null },
    el("strong", {}, n.title),
    el("span", { class: "when" }, ` ${when(n.createdAt)}`),
    el("p", {}, n.body),
    n.readAt === null
      ? el("button", { type: "button", class: "mark-read", onclick: () => mark(card, { ids: [n.id] }) }, "标为已读")
      : "");
}

async function mark(card, input) {
  const { notificationMarkRead: r } = await gql(MARK, { input });
  if (r.userErrors.length) {
    card.querySelector(".form-error")?.remove();
    card.append(el("p", { class: "form-error", "data-code": r.userErrors[0].code }, zh(r.userErrors[0])));
    return;
  }
  await inboxCard(card);
}
