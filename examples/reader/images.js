// Pictures from the API: an article's feature image, an author's portrait. Each <img> carries
// the picture's own width and height, so the browser keeps its place before it arrives (the
// stylesheet scales it with `width: 100%; height: auto`), and the sizes the API offers
// (`srcset`) with how wide it shows (`sizes`).

import { el } from './dom.js';

// How wide each kind of picture shows, for choosing among the sizes offered. The page is at
// most 1120px wide with 24px margins; see style.css.
export const SIZES = {
  lead: '(max-width: 900px) calc(100vw - 48px), 700px',
  teaser: '(max-width: 600px) calc(100vw - 48px), (max-width: 900px) calc(50vw - 40px), 340px',
  story: '(max-width: 748px) calc(100vw - 48px), 700px',
  related: '120px',
  portrait: '160px',
  chip: '44px',
  card: '96px',
};

// Only web addresses become a picture's source.
function imageUrl(url) {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

// The API's srcset ("url 320w, url 640w"), if each of its candidates is a web address.
function checkedSrcset(srcset) {
  if (!srcset) return null;
  const candidates = srcset.split(/,\s+/).map((c) => c.trim().split(/\s+/)[0]);
  return candidates.length && candidates.every(imageUrl) ? srcset : null;
}

const isSize = (n) => Number.isInteger(n) && n > 0;

// An <img> for `image` (an API Image), or null when there is none. `eager` for the picture a
// page opens with; every other one waits until it is scrolled near (`loading="lazy"`). `crop`
// when the stylesheet crops it to a shape of its own (object-fit): the picture's focal point
// stays in view. `decorative` when the text beside it says the same (an author's name).
export function picture(image, { cls = null, sizes = null, eager = false, crop = false, decorative = false } = {}) {
  const src = imageUrl(image?.url);
  if (!src) return null;
  const srcset = checkedSrcset(image.srcset);
  const sized = isSize(image.width) && isSize(image.height);
  // The attributes that decide what is fetched, and when, come before the source.
  const img = el('img', {
    class: cls,
    alt: decorative ? '' : image.alt ?? '',
    width: sized ? image.width : null,
    height: sized ? image.height : null,
    loading: eager ? null : 'lazy',
    fetchpriority: eager ? 'high' : null,
    decoding: 'async',
    sizes: srcset ? sizes : null,
    srcset,
    src,
  });
  const focus = image.focal_point;
  if (crop && focus && Number.isFinite(focus.x) && Number.isFinite(focus.y)) {
    // Through the CSSOM: the page's policy allows no style attributes.
    img.style.objectPosition = `${focus.x * 100}% ${focus.y * 100}%`;
  }
  return img;
}

// The picture at the top of a story, with its caption and, smaller, its credit.
export function figure(image, { cls = 'story-figure', sizes = SIZES.story } = {}) {
  const img = picture(image, { cls: 'story-image', sizes, eager: true });
  if (!img) return null;
  const caption = image.caption ? el('span', { class: 'caption' }, image.caption) : null;
  const credit = image.credit ? el('span', { class: 'credit' }, image.credit) : null;
  return el('figure', { class: cls }, img,
    caption || credit ? el('figcaption', {}, caption, caption && credit ? ' ' : null, credit) : null);
}

// An author's portrait, cropped square around its focal point.
export function portrait(image, { cls = 'portrait', sizes = SIZES.portrait, eager = false, decorative = false } = {}) {
  return picture(image, { cls, sizes, eager, decorative, crop: true });
}
