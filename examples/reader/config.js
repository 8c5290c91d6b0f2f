// The site's settings: from the page's <meta> tags, and from its address for the visit.

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';
const pageParams = new URLSearchParams(location.search);

// `?api=` and `?limit=` stay in the address while the fragment changes, so they hold for the visit.
export const API = (pageParams.get('api') || meta('gazette-api') || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const PAGE_SIZE = Math.min(100, Math.max(1, Number.parseInt(pageParams.get('limit') || meta('gazette-page-size'), 10) || 10));
export const SITE_NAME = meta('gazette-site-name') || 'Gazette';

// What a teaser shows and nothing more: one list request renders a whole page of teasers,
// pictures and bylines included.
export const TEASER_FIELDS = 'slug,title,summary,published_at,byline,authors,reading_time_minutes,tags,feature_image,highlight,format,live,latest_block_at';

// As many related teasers as the page shows; the article carries its curated links, and only
// when they are fewer does the page ask for suggestions.
export const RELATED_COUNT = 8;

// The curated collection that opens the front page; without it the front page is the latest news.
export const FRONT_COLLECTION = 'top-stories';
