//! `/api/v1/stream`: the changes as Server-Sent Events, as they happen, resumable by event id.

use std::pin::pin;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use futures_util::future::{Either, select};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

use super::changes::{
    ChangeItem, ChangeOp, DeleteReason, MAX_TAG_LEN, ResourceType, bounded, decode_token,
    encode_token, scope_of,
};
use super::extract::{ApiQuery, Reader};
use super::{State, validate};
use crate::api::problems;
use crate::db::articles::{ArticleKey, Visibility};
use crate::db::changes::Recorded;
use crate::db::sync::{self, Position, Scope};
use crate::db::{self, StoreError};
use crate::error::{ApiError, Problem};

use crate::hub::{Hub, Subscription};

/// The most changes sent again to a stream resuming from an event id; one further behind
/// gets these, then a `lagged` event, and resumes again from the last.
const REPLAY_MAX: i64 = 1000;

/// The longest `article` filter taken (a slug or an id).
const MAX_ARTICLE_LEN: usize = 200;

/// How long a client waits before it reconnects, as the stream tells it (`retry:`).
const RETRY_MS: u64 = 3000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Only changes of articles carrying this tag, and of this tag.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(min_length = 1, max_length = 80)]
    tag: Option<String>,
    /// Only changes of this article (slug or id).
    #[serde(default, deserialize_with = "validate::present")]
    #[param(min_length = 1, max_length = 200)]
    article: Option<String>,
    /// Resume after this event id, for clients that cannot send `Last-Event-ID`.
    #[serde(default, deserialize_with = "validate::present")]
    #[param(max_length = 200)]
    last_event_id: Option<String>,
}

/// Which changes a stream sends.
#[derive(Debug, Clone, Default)]
struct Filter {
    tag: Option<String>,
    article_id: Option<i64>,
    article_slug: Option<String>,
}

impl Filter {
    fn passes(&self, change: &Recorded) -> bool {
        let article = change.resource.strip_prefix("article:");
        if let Some(tag) = &self.tag {
            let tagged = match article {
                Some(_) => change.tags.0.contains(tag),
                None if change.resource.starts_with("tag:") => {
                    change.slug == *tag || change.tags.0.contains(tag)
                }
                None => false,
            };
            if !tagged {
                return false;
            }
        }
        if self.article_id.is_some() || self.article_slug.is_some() {
            let Some(id) = article else {
                return false;
            };
            let by_id = self.article_id.is_some_and(|a| id == a.to_string());
            let by_slug = self.article_slug.as_deref() == Some(change.slug.as_str());
            return by_id || by_slug;
        }
        true
    }
}

/// An event for `change` at position `at`.
fn event(change: &Recorded, at: i64, scope: Scope) -> Bytes {
    let article = change.resource.strip_prefix("article:");
    let item = ChangeItem {
        resource_type: match change.resource.split_once(':').map(|(kind, _)| kind) {
            Some("article") => ResourceType::Article,
            Some("author") => ResourceType::Author,
            Some("collection") => ResourceType::Collection,
            _ => ResourceType::Tag,
        },
        change: match change.reason {
            Some(_) => ChangeOp::Delete,
            None => ChangeOp::Upsert,
        },
        id: article.and_then(|id| id.parse().ok()),
        slug: change.slug.clone(),
        reason: change.reason.as_deref().map(DeleteReason::of),
        kind: change.kind.clone(),
        article: None,
        tag: None,
        block_id: change.block_id,
    };
    let data = serde_json::to_string(&item).unwrap_or_default();
    let id = encode_token(scope, &Position::Log(at));
    Bytes::from(format!(
        "event: {}\nid: {id}\ndata: {data}\n\n",
        change.kind
    ))
}

fn lagged() -> Bytes {
    Bytes::from_static(
        b"event: lagged\ndata: {\"detail\":\"This stream fell behind the changes and ends here: reconnect with Last-Event-ID to resume.\"}\n\n",
    )
}

/// A stream's state between two of its chunks.
struct Live {
    subscription: Subscription,
    scope: Scope,
    filter: Filter,
    /// The position of the last change sent (or skipped).
    at: i64,
    /// Chunks ready to send.
    ready: std::collections::VecDeque<Bytes>,
    /// Whether the stream ends once `ready` is sent.
    ending: bool,
    heartbeat: actix_web::rt::time::Interval,
}

impl Live {
    /// The next chunk: what is ready, else the next change that passes the filter, a
    /// heartbeat, or the end.
    async fn next(mut self) -> Option<(Result<Bytes, actix_web::Error>, Self)> {
        loop {
            if let Some(chunk) = self.ready.pop_front() {
                return Some((Ok(chunk), self));
            }
            if self.ending {
                return None;
            }
            let woken = {
                let subscription = &mut self.subscription;
                let change = pin!(subscription.receiver.recv());
                let tick = pin!(self.heartbeat.tick());
                let closing = pin!(subscription.closing.wait_for(|closing| *closing));
                match select(change, select(tick, closing)).await {
                    Either::Left((received, _)) => Some(received),
                    Either::Right((Either::Left(_), _)) => None,
                    // The server is stopping.
                    Either::Right((Either::Right(_), _)) => return None,
                }
            };
            match woken {
                None => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), self)),
                Some(Ok(change)) => self.take(&change),
                Some(Err(RecvError::Lagged(_))) => {
                    self.ready.push_back(lagged());
                    self.ending = true;
                }
                Some(Err(RecvError::Closed)) => return None,
            }
        }
    }

    /// Queues the event of `change` if this stream has not had it and wants it.
    fn take(&mut self, change: &Arc<Recorded>) {
        let Some(at) = sync::position_of(change, self.scope) else {
            return;
        };
        if at <= self.at {
            return;
        }
        self.at = at;
        if self.filter.passes(change) {
            self.ready.push_back(event(change, at, self.scope));
        }
    }
}

/// Follow changes live.
///
/// A Server-Sent Events stream (`text/event-stream`) of the changes the reader may see, as
/// they are made on any replica: one event per change, named as the webhook event
/// (`article.published`, `article.updated`, `article.unpublished`, `article.deleted`,
/// `tag.updated`, `tag.deleted`, …), whose `data` is a `ChangeItem` without the resource
/// (fetch it, or sync with `/changes`) and whose `id` is a sync token: send it back as
/// `Last-Event-ID` (browsers' `EventSource` does) to resume without loss or repetition, or
/// pass it to `/changes` as `since`. The stream starts with `retry:` and an event `ready`
/// whose id is where it starts; a comment `: keep-alive` comes every 15 seconds. A client
/// too slow to keep up, or resuming from too far back, gets an event `lagged` and the
/// stream ends: reconnect with the last id. Filters: `tag=`, `article=`. With an admin key
/// the stream includes drafts; with `REQUIRE_CONTENT_KEY`, browsers send a content key as
/// `?key=`.
#[utoipa::path(
    operation_id = "streamChanges", tag = "changes", security(()),
    params(
        StreamParams,
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received: the stream resumes after it."),
    ),
    responses(
        (status = 200, description = "The event stream; it does not end on its own.", content_type = "text/event-stream", body = String,
            headers(
                ("Cache-Control" = String, description = "`no-store`: live state."),
                ("X-Accel-Buffering" = String, description = "`no`: a proxy passes each event on at once."),
            ),
            example = json!("retry: 3000\n\nevent: ready\nid: ZzF8cHxsfDM5\ndata: {\"token\":\"ZzF8cHxsfDM5\"}\n\nevent: article.published\nid: ZzF8cHxsfDQw\ndata: {\"type\":\"article\",\"change\":\"upsert\",\"id\":15,\"slug\":\"tram-vote\",\"reason\":null,\"kind\":\"article.published\",\"article\":null,\"tag\":null}\n\n: keep-alive\n\n")),
        (status = 400, response = problems::InvalidQuery),
        (status = 401, response = problems::ReadUnauthorized),
        (status = 410, description = "The event id is older than the change log keeps: sync from scratch with `/changes`.", body = Problem),
    )
)]
#[get("/stream")]
pub async fn stream_changes(
    state: State,
    hub: web::Data<Hub>,
    req: HttpRequest,
    reader: Reader,
    ApiQuery(params): ApiQuery<StreamParams>,
) -> Result<HttpResponse, ApiError> {
    let scope = scope_of(&reader);
    let resume = match req.headers().get("last-event-id") {
        Some(value) => Some((
            value.to_str().unwrap_or("\u{0}").to_owned(),
            "Last-Event-ID",
        )),
        None => params.last_event_id.map(|id| (id, "last_event_id")),
    };
    let from = match resume.filter(|(id, _)| !id.is_empty()) {
        Some((id, field)) => match decode_token(scope, &id, field)? {
            Position::Log(at) => Some(at),
            _ => {
                return Err(super::pagination::query_error(
                    field,
                    "is a token of an initial sync, not an event id: finish the sync with `/changes`".to_owned(),
                ));
            }
        },
        None => None,
    };
    let mut filter = Filter {
        tag: bounded("tag", params.tag, MAX_TAG_LEN)?,
        ..Filter::default()
    };
    let article = bounded("article", params.article, MAX_ARTICLE_LEN)?;
    let subscription = hub.into_inner().subscribe().ok_or_else(|| {
        ApiError::Unavailable(
            "As many event streams as this server allows (MAX_STREAMS) are open: try again later."
                .to_owned(),
        )
    })?;
    let vis = match scope {
        Scope::Public => Visibility::Public { now: db::now() },
        Scope::All => Visibility::All,
    };
    // Subscribed first, then read: a change committed meanwhile is in both, and sent once.
    let (start, replay, article_id) = db::run(&state.pool, move |conn| {
        let article_id = match article.as_deref().map(ArticleKey::parse) {
            Some(ArticleKey::Id(id)) => Some(Ok(id)),
            Some(ArticleKey::Slug(slug)) => {
                match db::articles::find(conn, &ArticleKey::Slug(slug.clone()), vis) {
                    Ok(found) => Some(Ok(found.row.teaser.id)),
                    // Unknown or unseen: followed by its slug, which only a public change names.
                    Err(StoreError::NotFound(_)) => Some(Err(slug)),
                    Err(e) => return Err(e),
                }
            }
            None => None,
        };
        let (start, replay) = match from {
            Some(at) => {
                sync::check(conn, scope, at)?;
                (
                    at,
                    sync::changes_after(
                        conn,
                        scope,
                        at,
                        sync::Following::Everything,
                        REPLAY_MAX + 1,
                    )?,
                )
            }
            None => (sync::bounds(conn, scope)?.1, Vec::new()),
        };
        Ok((start, replay, article_id))
    })
    .await?;
    match article_id {
        Some(Ok(id)) => filter.article_id = Some(id),
        Some(Err(slug)) => filter.article_slug = Some(slug),
        None => {}
    }
    let mut heartbeat = actix_web::rt::time::interval(state.settings.stream_heartbeat);
    heartbeat.reset();
    let mut live = Live {
        subscription,
        scope,
        filter,
        at: start,
        ready: Default::default(),
        ending: false,
        heartbeat,
    };
    live.ready
        .push_back(Bytes::from(format!("retry: {RETRY_MS}\n\n")));
    let token = encode_token(scope, &Position::Log(start));
    live.ready.push_back(Bytes::from(format!(
        "event: ready\nid: {token}\ndata: {}\n\n",
        serde_json::json!({ "token": token })
    )));
    let behind = replay.len() as i64 > REPLAY_MAX;
    for change in replay.into_iter().take(REPLAY_MAX as usize) {
        live.take(&Arc::new(change));
    }
    if behind {
        live.ready.push_back(lagged());
        live.ending = true;
    }
    let body = futures_util::stream::unfold(live, Live::next);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::BACKLOG;
    use crate::hub::tests::change;

    fn live(hub: &Arc<Hub>) -> Live {
        Live {
            subscription: hub.subscribe().unwrap(),
            scope: Scope::Public,
            filter: Filter::default(),
            at: 0,
            ready: Default::default(),
            ending: false,
            heartbeat: actix_web::rt::time::interval(std::time::Duration::from_secs(3600)),
        }
    }

    async fn chunks(mut live: Live, most: usize) -> Vec<String> {
        let mut out = Vec::new();
        while out.len() < most {
            match live.next().await {
                Some((Ok(chunk), rest)) => {
                    out.push(String::from_utf8(chunk.to_vec()).unwrap());
                    live = rest;
                }
                _ => break,
            }
        }
        out
    }

    #[actix_web::test]
    async fn a_stream_that_falls_behind_is_told_so_and_ends() {
        let hub = Arc::new(Hub::new(0, 10));
        let behind = live(&hub);
        for seq in 1..=(BACKLOG as i64 + 10) {
            hub.deliver(&change(seq), || {});
        }
        let sent = chunks(behind, BACKLOG + 100).await;
        // The first tick of the heartbeat's interval comes at once: a comment first.
        let events: Vec<&String> = sent.iter().filter(|c| !c.starts_with(':')).collect();
        assert_eq!(
            events.len(),
            1,
            "nothing but the notice: {:?}",
            &sent[..sent.len().min(3)]
        );
        assert!(events[0].starts_with("event: lagged\n"), "{}", events[0]);
    }

    #[actix_web::test]
    async fn a_stream_sends_each_change_once_in_order_and_filters() {
        let hub = Arc::new(Hub::new(0, 10));
        let mut all = live(&hub);
        all.heartbeat.reset();
        let mut tagged = live(&hub);
        tagged.heartbeat.reset();
        tagged.filter.tag = Some("transport".to_owned());
        for seq in 1..=3 {
            let mut c = change(seq);
            if seq == 2 {
                c.tags = crate::db::changes::KeyList(vec!["transport".to_owned()]);
            }
            hub.deliver(&c, || {});
        }
        // Already sent (a replay reached 2): not again.
        all.at = 1;
        let sent = chunks(all, 2).await;
        assert!(
            sent[0].contains("id: ZzF8cHxsfDI\n") && sent[1].contains("id: ZzF8cHxsfDM\n"),
            "{sent:?}"
        );
        let sent = chunks(tagged, 1).await;
        assert!(sent[0].contains("id: ZzF8cHxsfDI\n"), "{sent:?}");
    }
}
