vcl 4.1;

# Varnish in front of Gazette, with vmod xkey (Debian: varnish-modules).
#
# Gazette is run with
#   CACHE_TAG_HEADERS=xkey              each public answer names its cache keys
#   CDN_CACHE_CONTROL=max-age=86400     how long this cache may keep it
#   CACHE_PURGE_URLS=http://127.0.0.1:6081/   where Gazette sends PURGE for each change
# so public reads are kept for a day and dropped by key the moment a change names them: a
# soft purge for an edit (the old answer may be served once more while the new one is
# fetched), a hard purge for an unpublish, a delete or a slug change.

import std;
import xkey;

backend gazette {
    .host = "127.0.0.1";
    .port = "8080";
}

# Who may purge: Gazette, on this machine.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            set req.http.x-purged = xkey.purge(req.http.xkey-purge);
        } elsif (req.http.xkey-softpurge) {
            set req.http.x-purged = xkey.softpurge(req.http.xkey-softpurge);
        } else {
            return (synth(400, "xkey-purge or xkey-softpurge is required"));
        }
        return (synth(200, "Purged " + req.http.x-purged));
    }
    # Writes, and reads with a key (drafts, previews, content keys), go to Gazette as they are.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # Gazette sets no cookie and reads none.
    unset req.http.Cookie;
    # One object per URL: Varnish fetches it gzipped and unzips it for a client that asks
    # for no coding (http_gzip_support), so the object varies on nothing else.
    return (hash);
}

sub vcl_backend_response {
    # Keyed and private answers are never kept (Gazette sends them `private, no-store`).
    if (beresp.http.Cache-Control ~ "(private|no-store)") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # The edge's own lifetime, when Gazette gives one; otherwise Cache-Control's.
    if (beresp.http.CDN-Cache-Control ~ "max-age=[0-9]+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.CDN-Cache-Control, "^.*max-age=([0-9]+).*$", "\1") + "s",
            60s);
    }
    # A soft-purged answer may be served while its replacement is fetched, for this long.
    set beresp.grace = 30s;
    # An answer with a validator is kept longer, to revalidate with If-None-Match.
    set beresp.keep = 1h;
    return (deliver);
}

sub vcl_deliver {
    # The keys and the edge's lifetime are for this cache, not for browsers.
    unset resp.http.xkey;
    unset resp.http.CDN-Cache-Control;
    unset resp.http.Surrogate-Control;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
