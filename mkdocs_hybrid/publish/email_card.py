"""The ``email.html`` derived file (``exports.email``): a version's card to paste into an email.

What email clients render: one HTML document of nested tables (no flexbox or grid), every style inline on its
element (clients drop ``<style>`` and linked sheets), no script, every URL absolute (a mail has no base URL).
It shows the poster, linked to the share page, the title, the thread and version, and the share link written
out. It is a pure function of the catalog entry and the site URL; without a site URL there is no absolute link
to give and no card is made (the build says so once: :func:`email_notice`).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from mkdocs_hybrid.gallery import social
from mkdocs_hybrid.publish.derived import VersionView

__all__ = ["EXPORT", "email_card", "email_notice", "render"]

EXPORT = "email"
"""The export's name in :attr:`VersionView.exports` (``exports.email`` in the manifest)."""
CARD_WIDTH = 600
"""The card's width in CSS pixels: the width email layouts are made for."""
FONT = "Helvetica,Arial,sans-serif"


def render(view: VersionView) -> bytes | None:
    """The card's bytes when ``exports.email`` is on and the site has a URL, else ``None`` (no file)."""
    if EXPORT not in view.exports or not view.site_url:
        return None
    return email_card(view)


def email_notice(enabled: bool, site_url: str | None) -> list[str]:
    """The build's one line when email cards are asked for but cannot be made."""
    if enabled and not site_url:
        return ["exports.email needs the site's URL (mkdocs.yml site_url, or --site-url): no email cards were "
                "made, as a card's links must be absolute"]
    return []


def email_card(view: VersionView) -> bytes | None:
    """The card of ``view``'s version, as UTF-8 bytes (``None`` when its share link has no absolute URL)."""
    card = social.version_card(view.thread, view.version, site_url=view.site_url, origin=view.origin,
                               parts=view.parts, site_name=view.site_name)
    if card.url is None:
        return None
    link, title = escape(card.url), escape(card.title)
    byline = " · ".join([*([view.thread.title] if view.thread.title != view.version.title else []),
                         f"version {view.version.version}",
                         *([f"by {view.version.author}"] if view.version.author else [])])
    rows = [_poster_row(card.image, link) if card.image else "",
            _row(title, "padding:20px 24px 4px;font-size:20px;line-height:28px;font-weight:bold;color:#18181b;"),
            _row(escape(byline), "padding:0 24px 16px;font-size:14px;line-height:20px;color:#52525b;"),
            _row(_button(link), "padding:0 24px 16px;"),
            _row(Markup(f'<a href="{link}" style="color:#52525b;text-decoration:underline;">{link}</a>'),
                 "padding:0 24px 24px;font-size:12px;line-height:18px;color:#52525b;word-break:break-all;")]
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f5;">
<table role="presentation" style="width:100%;border-collapse:collapse;border-spacing:0;background-color:#f4f4f5;">
<tr><td style="padding:24px 12px;text-align:center;">
<table role="presentation" style="width:{CARD_WIDTH}px;max-width:100%;margin:0 auto;border-collapse:separate;\
border-spacing:0;background-color:#ffffff;border:1px solid #e4e4e7;border-radius:8px;text-align:left;">
{"".join(row for row in rows if row)}</table>
</td></tr>
</table>
</body>
</html>
"""
    return html.encode("utf-8")


def _row(content: str, style: str) -> str:
    return f'<tr><td style="{style}font-family:{FONT};">{content}</td></tr>\n'


def _poster_row(image: social.CardImage, link: str) -> str:
    """The poster at the card's width (its height kept in proportion), linked to the share page."""
    height = round(image.height * CARD_WIDTH / image.width) if image.width else image.height
    return (f'<tr><td style="padding:0;"><a href="{link}"><img src="{escape(image.url)}" width="{CARD_WIDTH}" '
            f'height="{height}" alt="{escape(image.alt)}" style="display:block;width:100%;height:auto;border:0;'
            f'border-radius:8px 8px 0 0;"></a></td></tr>\n')


def _button(link: str) -> str:
    """A link styled as a button, in a table cell of its own (the one shape every client draws)."""
    return (f'<table role="presentation" style="border-collapse:separate;border-spacing:0;"><tr>'
            f'<td style="background-color:#2563eb;border-radius:6px;">'
            f'<a href="{link}" style="display:inline-block;padding:10px 18px;font-family:{FONT};font-size:14px;'
            f'line-height:20px;font-weight:bold;color:#ffffff;text-decoration:none;">Open the live demo</a>'
            f"</td></tr></table>")
