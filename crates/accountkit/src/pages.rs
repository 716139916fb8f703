//! [`Pages`], what every paged listing returns.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::stream::{BoxStream, Stream, StreamExt as _};

use crate::error::Result;

/// The pages of a listing, each fetched when the stream is polled for it.
/// [`items`](Pages::items) gives their items one at a time instead. The
/// stream ends after its first error.
///
/// ```
/// # #[cfg(feature = "pangea")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
/// # let pangea = accountkit::pangea::Client::builder(sandbox.pangea().service_token())
/// #     .base_url(sandbox.pangea().base_url()).build()?;
/// # sandbox.pangea().seed_users(25);
/// use accountkit::pangea::{User, UserList};
/// use futures::TryStreamExt;
///
/// let mut pages = pangea.users(&UserList::new().size(10));
/// let mut sizes = Vec::new();
/// while let Some(page) = pages.try_next().await? {
///     assert_eq!(page.total, Some(25));
///     sizes.push(page.items.len());
/// }
/// assert_eq!(sizes, [10, 10, 5]);
///
/// let users: Vec<User> = pangea.users(&UserList::new().size(10)).items().try_collect().await?;
/// assert_eq!(users.len(), 25);
/// # Ok(()) }
/// # #[cfg(not(feature = "pangea"))] fn main() {}
/// ```
pub struct Pages<T> {
    pages: BoxStream<'static, Result<Page<T>>>,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's items, in the order the service sent them.
    pub items: Vec<T>,
    /// How many items the listing has in all, where the service says.
    pub total: Option<u64>,
    /// The service's id of the request that fetched the page, where it
    /// sends one (what its support asks for).
    pub request_id: Option<String>,
}

impl<T> Page<T> {
    pub(crate) fn new(items: Vec<T>) -> Self {
        Page { items, total: None, request_id: None }
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    /// The page's items.
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<T> Pages<T> {
    pub(crate) fn new(pages: impl Stream<Item = Result<Page<T>>> + Send + 'static) -> Self {
        Pages { pages: pages.boxed() }
    }

    /// The items of every page, one at a time, each page fetched when the
    /// one before is used up. Ends after the first error.
    ///
    /// ```
    /// # #[cfg(feature = "cycle")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = accountkit_sandbox::Sandbox::start().await?;
    /// # let token = sandbox.cycle().create_account("grace@example.com", "Grace", "Hopper", "correct horse");
    /// # let client = accountkit::cycle::Client::builder().base_url(sandbox.cycle().base_url()).token(token).build()?;
    /// # for _ in 0..3 {
    /// #     sandbox.cycle().sign_in("grace@example.com", "wrong guess", None).unwrap_err();
    /// # }
    /// use accountkit::cycle::ListQuery;
    /// use futures::TryStreamExt;
    ///
    /// let mut logins = client.logins(&ListQuery::new().page_size(2)).items();
    /// let mut failed = 0;
    /// while let Some(login) = logins.try_next().await? {
    ///     assert!(!login.record().success);
    ///     failed += 1;
    /// }
    /// assert_eq!(failed, 3); // from two pages
    /// # Ok(()) }
    /// # #[cfg(not(feature = "cycle"))] fn main() {}
    /// ```
    pub fn items(self) -> Items<T> {
        Items { pages: self, page: Vec::new().into_iter() }
    }
}

impl<T> Stream for Pages<T> {
    type Item = Result<Page<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.pages.poll_next_unpin(cx)
    }
}

impl<T> std::fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

/// The items of a listing's [`Pages`], one at a time.
pub struct Items<T> {
    pages: Pages<T>,
    page: std::vec::IntoIter<T>,
}

// Nothing of `T` is ever pinned: items are moved out of the page.
impl<T> Unpin for Items<T> {}

impl<T> Stream for Items<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.page.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match ready!(this.pages.poll_next_unpin(cx)) {
                Some(Ok(page)) => this.page = page.items.into_iter(),
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            }
        }
    }
}

impl<T> std::fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items").field("buffered", &self.page.len()).finish_non_exhaustive()
    }
}
