//! The sync's requests to the server: retries with backoff, and the next page or batch asked
//! for ahead of time.

use super::*;

impl SyncRun {
    /// Calls the server, backing off exponentially with jitter on transient failures and
    /// honoring `Retry-After`; stops at once on cancel or loss of network.
    pub(super) async fn call<T, F, Fut>(&mut self, what: &str, f: F) -> Result<T, Stop>
    where
        F: FnMut(Remote) -> Fut,
        Fut: Future<Output = Result<T, RemoteError>>,
    {
        self.call_from(what, None, f).await
    }

    /// [`SyncRun::call`] whose first attempt may already have been made ahead of time (`first`):
    /// its outcome counts as that attempt's, after the same cancel and network check.
    pub(super) async fn call_from<T, F, Fut>(
        &mut self,
        what: &str,
        mut first: Option<Result<T, RemoteError>>,
        mut f: F,
    ) -> Result<T, Stop>
    where
        F: FnMut(Remote) -> Fut,
        Fut: Future<Output = Result<T, RemoteError>>,
    {
        let mut attempt = 0;
        loop {
            self.check()?;
            let outcome = match first.take() {
                Some(outcome) => outcome,
                None => f(self.remote.clone()).await,
            };
            let error = match outcome {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            attempt += 1;
            if !error.is_transient() || attempt >= MAX_ATTEMPTS {
                return Err(Stop::Remote(error));
            }
            let wait = backoff(attempt, &error);
            let message = format!(
                "{what}: {error}; retrying in {:.1} s (attempt {}/{MAX_ATTEMPTS})",
                wait.as_secs_f64(),
                attempt + 1
            );
            self.ctx
                .status
                .send_modify(|s| s.last_error = Some(message.clone()));
            let data = JournalData::Retrying {
                attempt: attempt + 1,
                of: MAX_ATTEMPTS,
                wait_ms: wait.as_millis() as u64,
            };
            self.journal(message, data);
            let mut cancel = self.ctx.cancel.clone();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.wait_for(|c| *c) => return Err(Stop::Cancelled),
            }
        }
    }
}

/// The next request of a download or an upload, made while the answer to the current one is
/// written to the database. Its outcome is the first attempt of [`SyncRun::call_from`]. Dropped
/// unused (the sync stopped), the request is abandoned.
pub(super) struct Ahead<T>(Option<tokio::task::JoinHandle<Result<T, RemoteError>>>);

impl<T: Send + 'static> Ahead<T> {
    /// Starts the request and lets it leave before the caller goes on. The caller's next step is
    /// blocking database work on this worker thread, and tokio runs a task spawned from a worker
    /// on that same worker first (its LIFO slot, which no other worker takes from): without the
    /// yield the request would only be sent once that work was done, and the server would never
    /// work while the device does (measured: 29 of 82 ms per 1,000 uploaded edits spent waiting
    /// for the answer "ahead", 2.5 ms with the yield).
    pub(super) async fn send(
        request: impl Future<Output = Result<T, RemoteError>> + Send + 'static,
    ) -> Self {
        let ahead = Ahead(Some(tokio::spawn(request)));
        tokio::task::yield_now().await;
        ahead
    }

    /// The request's outcome; `None` if the task itself failed (then the request is made again).
    pub(super) async fn outcome(mut self) -> Option<Result<T, RemoteError>> {
        self.0.take()?.await.ok()
    }
}

impl<T> Drop for Ahead<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// Exponential backoff with jitter, or the server's `Retry-After` when it names one.
fn backoff(attempt: u32, error: &RemoteError) -> Duration {
    if let RemoteError::Transient {
        retry_after: Some(after),
        ..
    } = error
    {
        return (*after).min(Duration::from_secs(60));
    }
    let base = Duration::from_millis(200) * 2u32.pow(attempt.saturating_sub(1).min(6));
    let jitter = rand::rng().random_range(0..=base.as_millis() as u64 / 2);
    base + Duration::from_millis(jitter)
}
