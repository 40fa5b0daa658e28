"""Latin words left on a page in another language: the page's words in Latin script outside
user content, less the names that stay Latin."""
from __future__ import annotations

# Latin words a page in Arabic may show: the product's name, file formats, standards
ALLOWED = {"cosign", "PDF", "CSV", "XLSX", "JPEG", "PNG", "SVG", "SHA", "UTC", "Markdown", "BCP",
           "https", "http", "mailto", "ckb", "name", "org", "amnesty", "example"}
LATIN_WORDS = """() => {
  const skip = '[lang]:not([lang|="%s"]), [dir="auto"], bdi, code, kbd, script, style, ' +
               'textarea, option, input, .brand, .language-switcher, svg';
  const words = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!el || el.closest(skip)) continue;
    for (const w of node.textContent.match(/\\p{Script=Latin}[\\p{Script=Latin}'’]{2,}/gu) || [])
      words.add(w);
  }
  for (const el of document.querySelectorAll('[aria-label],[placeholder],[title],[alt]')) {
    if (el.closest(skip)) continue;
    for (const a of ['aria-label', 'placeholder', 'title', 'alt'])
      for (const w of (el.getAttribute(a) || '')
                        .match(/\\p{Script=Latin}[\\p{Script=Latin}'’]{2,}/gu) || [])
        words.add(w);
  }
  return [...words].sort();
}"""


def english_left(page, lang: str) -> set[str]:
    words = page.evaluate(LATIN_WORDS % lang)
    return {w for w in words if w not in ALLOWED and not w.isupper()}
