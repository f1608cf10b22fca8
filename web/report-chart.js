// The drill report's timeline chart on the run page: the same SVG the HTML report embeds
// (GET /v1/runs/{id}/report, Accept: text/html, rendered by src/api/render/timeline-svg.ts),
// fetched with the token and cleaned before it enters the page.

import { api } from "./api.js";

/**
 * Keeps shapes, text and presentation attributes; drops anything that could run, link or load:
 * scripts, foreign content, links, references and event-handler or style attributes. (The CSP
 * would block inline scripts and styles anyway; this keeps the page from even trying.)
 * @param {Element} found an <svg> from a DOMParser document (inert)
 * @returns {SVGSVGElement} a copy for this page
 */
export function cleanSvg(found) {
  // Cleaned while still in the parser's inert document: nothing in it has run or loaded yet.
  const svg = /** @type {SVGSVGElement} */ (found);
  for (const el of svg.querySelectorAll(
    "script, style, foreignObject, iframe, a, use, image, animate, set",
  )) {
    el.remove();
  }
  for (const el of [svg, ...svg.querySelectorAll("*")]) {
    for (const attr of [...el.attributes]) {
      if (/^on/i.test(attr.name) || /href$/i.test(attr.name) || attr.name === "style")
        el.removeAttribute(attr.name);
    }
  }
  // Scale with the page through its viewBox rather than its fixed pixel size.
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.classList.add("report-chart");
  return /** @type {SVGSVGElement} */ (document.importNode(svg, true));
}

/**
 * The chart of a report page: its <svg> element, parsed on its own as XML (the SVG is standalone
 * with its xmlns), so the page's own <style> and style attributes never meet this page's CSP.
 * @param {string} html
 * @returns {SVGSVGElement | undefined}
 */
export function chartFromReportHtml(html) {
  const start = html.indexOf("<svg");
  const end = html.indexOf("</svg>", start);
  if (start === -1 || end === -1) return undefined;
  const doc = new DOMParser().parseFromString(html.slice(start, end + "</svg>".length), "image/svg+xml");
  if (doc.querySelector("parsererror") || doc.documentElement.localName !== "svg") return undefined;
  return cleanSvg(doc.documentElement);
}

/**
 * The report as HTML and its chart, or undefined when the API has no HTML report with a chart.
 * @param {string} id
 * @param {AbortSignal} signal
 * @returns {Promise<{ html: string, svg: SVGSVGElement } | undefined>}
 */
export async function fetchReportChart(id, signal) {
  /** @type {unknown} */
  const html = await api(`/v1/runs/${encodeURIComponent(id)}/report`, { accept: "text/html", signal });
  if (typeof html !== "string") return undefined;
  const svg = chartFromReportHtml(html);
  return svg ? { html, svg } : undefined;
}
