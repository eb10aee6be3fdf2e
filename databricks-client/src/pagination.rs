//! Pagination as [`Stream`]s (databricks-api.md §3).
//!
//! One engine, [`cursor_pages`], drives every style; the others are thin shapes over it:
//!
//! | API style | function | stops when |
//! |---|---|---|
//! | `page_token` / `next_page_token` (most APIs, Unity Catalog with `max_results=0`) | [`token_pages`]; [`token_list`] for a `GET` with a serialisable request type (what the list handlers use), [`token_page`] for one page of it | the token is missing or empty — **never** on an empty page |
//! | `offset` / `limit` / `has_more` (legacy jobs) | [`offset_pages`] | `has_more` is false; items are de-duplicated by key |
//! | body paging (`next_page` is the next request body) | [`cursor_pages`] | no next cursor |
//! | Jobs 2.2 nested arrays in `jobs/get` and `runs/get` | [`merge_array_pages`] | the token is missing or empty |
//!
//! A server that hands back the page token it was just given would loop forever; that is
//! reported as an error instead.
//!
//! ```no_run
//! use databricks_client::pagination::{Page, token_pages};
//! use futures::TryStreamExt;
//!
//! # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
//! let catalogs = token_pages(move |page_token| {
//!     let client = client.clone();
//!     async move {
//!         let mut body: serde_json::Value = client
//!             .get("/api/2.1/unity-catalog/catalogs")
//!             .query(&[("max_results", "0")])
//!             .query(&[("page_token", page_token)])
//!             .send_json()
//!             .await?;
//!         let items = body["catalogs"].as_array_mut().map(std::mem::take).unwrap_or_default();
//!         let next = body["next_page_token"].as_str().map(str::to_owned);
//!         Ok(Page::new(items, next))
//!     }
//! });
//! let all: Vec<serde_json::Value> = catalogs.try_collect().await?;
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{self, Stream, TryStreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::WorkspaceClient;
use crate::error::{Error, Result};

/// One page of a token-paginated list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page (possibly none, even when more pages follow).
    pub items: Vec<T>,
    /// The token of the next page; `None` or empty means this was the last page.
    pub next_page_token: Option<String>,
}

impl<T> Page<T> {
    /// A page.
    pub fn new(items: Vec<T>, next_page_token: Option<String>) -> Self {
        Self {
            items,
            next_page_token,
        }
    }
}

/// One page of an offset-paginated list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OffsetPage<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Whether the server has more items after these.
    pub has_more: bool,
}

impl<T> OffsetPage<T> {
    /// A page.
    pub fn new(items: Vec<T>, has_more: bool) -> Self {
        Self { items, has_more }
    }
}

/// The general engine: `fetch(cursor)` returns a page of items and the next cursor, if any.
/// Used directly for body paging, where the next cursor is the next request body.
pub fn cursor_pages<C, T, F, Fut>(
    initial: C,
    fetch: F,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    C: Send + 'static,
    T: Send + 'static,
    F: FnMut(C) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<T>, Option<C>)>> + Send + 'static,
{
    stream::try_unfold((fetch, Some(initial)), |(mut fetch, cursor)| async move {
        let Some(cursor) = cursor else {
            return Ok::<_, Error>(None);
        };
        let (items, next) = fetch(cursor).await?;
        Ok(Some((items, (fetch, next))))
    })
    .map_ok(|items: Vec<T>| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

/// Pages of a `page_token` list, for callers who want page boundaries (e.g. to stop early).
pub fn token_page_stream<T, F, Fut>(
    fetch: F,
) -> impl Stream<Item = Result<Page<T>>> + Send + 'static
where
    T: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    TokenPages::new(fetch)
}

/// The page stream behind [`token_page_stream`] and [`token_pages`]: the first page is
/// requested at once, each next one as soon as a page names it (and polled once the caller asks
/// for the next page); a page that repeats the token it was requested with is an error.
struct TokenPages<F, Fut> {
    fetch: F,
    /// The request of the next page.
    pending: Option<Pin<Box<Fut>>>,
    /// The token the pending request carries.
    sent: Option<String>,
}

// No field is ever pinned in place: the future is boxed, and `fetch` is only called through
// `&mut`.
impl<F, Fut> Unpin for TokenPages<F, Fut> {}

impl<T, F, Fut> TokenPages<F, Fut>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    fn new(mut fetch: F) -> Self {
        let first = Box::pin(fetch(None));
        Self {
            fetch,
            pending: Some(first),
            sent: None,
        }
    }
}

impl<T, F, Fut> Stream for TokenPages<F, Fut>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    type Item = Result<Page<T>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Page<T>>>> {
        let this = self.get_mut();
        let Some(pending) = this.pending.as_mut() else {
            return Poll::Ready(None);
        };
        let page = match pending.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(page) => page,
        };
        this.pending = None;
        let page = match page {
            Ok(page) => page,
            Err(e) => return Poll::Ready(Some(Err(e))),
        };
        match page.next_page_token.clone().filter(|t| !t.is_empty()) {
            Some(token) if this.sent.as_deref() == Some(token.as_str()) => {
                return Poll::Ready(Some(Err(repeated_token())));
            }
            Some(token) => {
                this.pending = Some(Box::pin((this.fetch)(Some(token.clone()))));
                this.sent = Some(token);
            }
            None => this.sent = None,
        }
        Poll::Ready(Some(Ok(page)))
    }
}

/// Items of a `GET` list paged with `page_token` / `next_page_token`: the one page fetch behind
/// the crate's list handlers.
///
/// `query` is a serialisable request type sent with every page (octocrab's pattern: `None`
/// fields and `skip_serializing_if` fields are left out, arrays repeat the key, see
/// [`RequestBuilder::query`](crate::RequestBuilder::query)); `page_token` is added from the
/// second page on; `into_page` picks the items and the next token out of a response `P`.
///
/// ```no_run
/// use databricks_client::pagination::{Page, token_list};
/// use futures::TryStreamExt;
///
/// #[derive(serde::Serialize)]
/// struct Filter { max_results: u32 }
///
/// #[derive(serde::Deserialize)]
/// struct Catalogs {
///     #[serde(default)]
///     catalogs: Vec<serde_json::Value>,
///     next_page_token: Option<String>,
/// }
///
/// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
/// let all: Vec<serde_json::Value> = token_list(
///     client,
///     "/api/2.1/unity-catalog/catalogs",
///     Filter { max_results: 0 },
///     |p: Catalogs| Page::new(p.catalogs, p.next_page_token),
/// )
/// .try_collect()
/// .await?;
/// # Ok(()) }
/// ```
pub fn token_list<Q, P, T>(
    client: WorkspaceClient,
    path: impl Into<String>,
    query: Q,
    into_page: fn(P) -> Page<T>,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    Q: Serialize + Send + Sync + 'static,
    P: DeserializeOwned + Send + 'static,
    T: Send + 'static,
{
    let path: String = path.into();
    // The query is encoded once for every page (a request type that does not encode is left
    // to `RequestBuilder::query`, which reports the error without sending anything).
    let pairs = crate::client::encode_query(&query).ok();
    let query = Arc::new(query);
    token_pages(move |page_token: Option<String>| {
        let request = page_request(
            &client,
            &path,
            &*query,
            pairs.as_deref(),
            page_token.as_deref(),
        );
        async move { Ok(into_page(request.send_json::<P>().await?)) }
    })
}

/// One page of a `GET` list paged with `page_token` / `next_page_token`, for the handlers that
/// hand single pages to their caller: the same page fetch as [`token_list`] (`query` sent with
/// the page, `page_token` added when given).
///
/// # Errors
/// The request's error, or a response that is not a `P`.
pub async fn token_page<Q, P, T>(
    client: &WorkspaceClient,
    path: &str,
    query: &Q,
    page_token: Option<&str>,
    into_page: fn(P) -> Page<T>,
) -> Result<Page<T>>
where
    Q: Serialize + ?Sized,
    P: DeserializeOwned,
{
    let request = page_request(client, path, query, None, page_token);
    Ok(into_page(request.send_json::<P>().await?))
}

/// The request of one page: `query` (its pairs, when the caller encoded them once for every
/// page), then `page_token` when given.
fn page_request<Q: Serialize + ?Sized>(
    client: &WorkspaceClient,
    path: &str,
    query: &Q,
    encoded: Option<&[(String, String)]>,
    page_token: Option<&str>,
) -> crate::RequestBuilder {
    let request = client.get(path);
    let request = match encoded {
        Some(pairs) => request.query_pairs(pairs.iter().cloned()),
        None => request.query(query),
    };
    match page_token {
        Some(token) => request.query_pair("page_token", token),
        None => request,
    }
}

/// Items of a `page_token` list. `fetch` receives `None` for the first page, then each
/// `next_page_token`; every other parameter must stay the same between calls.
pub fn token_pages<T, F, Fut>(fetch: F) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    TokenItems {
        pages: TokenPages::new(fetch),
        current: Vec::new().into_iter(),
    }
}

/// The item stream behind [`token_pages`]: [`TokenPages`] flattened in one layer. An item is
/// handed straight out of the page's vector (a job is about 2 KB, and every stream combinator
/// it passes through is another copy of it).
struct TokenItems<T, F, Fut> {
    pages: TokenPages<F, Fut>,
    current: std::vec::IntoIter<T>,
}

impl<T, F, Fut> Unpin for TokenItems<T, F, Fut> {}

impl<T, F, Fut> Stream for TokenItems<T, F, Fut>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Ready(Some(Ok(page))) => this.current = page.items.into_iter(),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

fn repeated_token() -> Error {
    Error::Decode {
        method: "GET".to_owned(),
        path: "(pagination)".to_owned(),
        json_path: "next_page_token".to_owned(),
        message: "the server returned the page token it was given; stopping to avoid an endless \
                  loop"
            .to_owned(),
        excerpt: String::new(),
    }
}

/// Items of an `offset`/`limit`/`has_more` list. `fetch` receives the offset (0 first, then the
/// number of items seen). Offsets shift when items are created concurrently, so items are
/// de-duplicated by `key`.
pub fn offset_pages<T, K, F, Fut, KeyFn>(
    mut fetch: F,
    key: KeyFn,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Send + 'static,
    K: Eq + Hash + Send + 'static,
    F: FnMut(usize) -> Fut + Send + 'static,
    Fut: Future<Output = Result<OffsetPage<T>>> + Send + 'static,
    KeyFn: Fn(&T) -> K + Send + 'static,
{
    let items = cursor_pages(0usize, move |offset| {
        let fut = fetch(offset);
        async move {
            let page = fut.await?;
            let count = page.items.len();
            let next = (page.has_more && count > 0).then_some(offset + count);
            Ok((page.items, next))
        }
    });
    let mut seen = HashSet::new();
    items.try_filter(move |item| futures::future::ready(seen.insert(key(item))))
}

/// Collects every item of a paginated stream.
pub async fn collect_all<T, S>(stream: S) -> Result<Vec<T>>
where
    S: Stream<Item = Result<T>>,
{
    stream.try_collect().await
}

/// Completes a Jobs 2.2 `jobs/get` or `jobs/runs/get` response whose top-level arrays were cut at
/// 100 elements: while `next_page_token` is present, fetch the next page with the same id and
/// append each array at the given dotted paths (e.g. `settings.tasks`, `job_clusters`).
///
/// ```
/// # use databricks_client::pagination::merge_array_pages;
/// # use serde_json::json;
/// # async fn run() -> databricks_client::Result<()> {
/// let first = json!({"job_id": 1, "settings": {"tasks": [{"task_key": "a"}]}, "next_page_token": "p2"});
/// let merged = merge_array_pages(first, &["settings.tasks"], |_token| async {
///     Ok(json!({"job_id": 1, "settings": {"tasks": [{"task_key": "b"}]}}))
/// })
/// .await?;
/// assert_eq!(merged["settings"]["tasks"].as_array().map(Vec::len), Some(2));
/// # Ok(()) }
/// ```
pub async fn merge_array_pages<F, Fut>(
    mut first: Value,
    arrays: &[&str],
    mut fetch_next: F,
) -> Result<Value>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Value>>,
{
    let mut token = take_token(&mut first);
    let mut previous: Option<String> = None;
    while let Some(current) = token {
        if previous.as_deref() == Some(current.as_str()) {
            return Err(Error::Decode {
                method: "GET".to_owned(),
                path: "(nested pagination)".to_owned(),
                json_path: "next_page_token".to_owned(),
                message: "the server returned the page token it was given".to_owned(),
                excerpt: String::new(),
            });
        }
        let mut page = fetch_next(current.clone()).await?;
        token = take_token(&mut page);
        for path in arrays {
            let Some(Value::Array(more)) = pointer_mut(&mut page, path).map(Value::take) else {
                continue;
            };
            match pointer_mut(&mut first, path) {
                Some(Value::Array(existing)) => existing.extend(more),
                Some(slot) => *slot = Value::Array(more),
                None => insert_at(&mut first, path, Value::Array(more)),
            }
        }
        previous = Some(current);
    }
    if let Value::Object(map) = &mut first {
        map.remove("has_more");
    }
    Ok(first)
}

fn take_token(value: &mut Value) -> Option<String> {
    let Value::Object(map) = value else {
        return None;
    };
    match map.remove("next_page_token") {
        Some(Value::String(t)) if !t.is_empty() => Some(t),
        _ => None,
    }
}

fn pointer_mut<'a>(value: &'a mut Value, dotted: &str) -> Option<&'a mut Value> {
    dotted
        .split('.')
        .try_fold(value, |v, key| v.as_object_mut()?.get_mut(key))
}

fn insert_at(value: &mut Value, dotted: &str, new: Value) {
    let mut current = value;
    let mut parts = dotted.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(map) = current.as_object_mut() else {
            return;
        };
        if parts.peek().is_none() {
            map.insert(part.to_owned(), new);
            return;
        }
        current = map
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Default::default()));
    }
}
