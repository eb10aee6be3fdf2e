//! Offset windows over the client's paginated streams, shared by the list tools and the
//! resource listings.

use futures::{Stream, StreamExt, TryStreamExt};

/// One page of a list: the items and where the next page starts.
#[derive(Debug)]
pub(crate) struct Paged<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_offset: Option<u64>,
}

/// Reads `limit` items of a paginated client stream from `offset` (the client follows
/// `next_page_token`), stopping as soon as one item past the window is seen.
pub(crate) async fn page_stream<T, S>(
    stream: S,
    offset: usize,
    limit: usize,
) -> databricks_client::Result<Paged<T>>
where
    S: Stream<Item = databricks_client::Result<T>>,
{
    let items: Vec<T> = stream
        .skip(offset)
        .take(limit.saturating_add(1))
        .try_collect()
        .await?;
    Ok(page_vec(items, limit, offset))
}

/// Shapes items already read from `offset` (at most `limit + 1` of them) into a page.
pub(crate) fn page_vec<T>(mut items: Vec<T>, limit: usize, offset: usize) -> Paged<T> {
    let more = items.len() > limit;
    items.truncate(limit);
    let next_offset = more.then(|| (offset + items.len()) as u64);
    Paged { items, next_offset }
}
