//! Work a request starts and does not wait for, such as queueing a requested reset mail (run
//! apart so that a known and an unknown address answer alike and at once).
//!
//! Each task is counted while it runs, so that a server shutting down lets it finish, and
//! whoever needs to know that nothing is still under way (a test proving that something was not
//! done) can wait for [`Background::idle`].

use std::future::Future;
use std::sync::Arc;

use tokio::sync::watch;

/// The tasks this instance has started in the background and not yet finished.
#[derive(Clone)]
pub struct Background {
    running: Arc<watch::Sender<usize>>,
}

impl Default for Background {
    fn default() -> Self {
        Self {
            running: Arc::new(watch::channel(0).0),
        }
    }
}

/// Counts one task while it lives; dropped when the task ends, panics or is aborted.
struct Running(Arc<watch::Sender<usize>>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.send_modify(|running| *running -= 1);
    }
}

impl Background {
    /// Runs `work` on its own task. It is counted before this returns, so a caller that then
    /// waits for [`Background::idle`] waits for it too.
    pub fn spawn<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.running.send_modify(|running| *running += 1);
        let running = Running(self.running.clone());
        tokio::spawn(async move {
            let _running = running;
            work.await;
        });
    }

    /// How many tasks are running.
    pub fn running(&self) -> usize {
        *self.running.borrow()
    }

    /// Returns once no task is running.
    pub async fn idle(&self) {
        let mut running = self.running.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = running.wait_for(|running| *running == 0).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn idle_waits_for_every_task_and_counts_a_panicked_one_as_ended() {
        let background = Background::default();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        background.spawn(async move {
            let _ = released.await;
        });
        background.spawn(std::future::pending());
        assert_eq!(background.running(), 2);
        let waiting = tokio::spawn({
            let background = background.clone();
            async move { background.idle().await }
        });
        release.send(()).unwrap();
        // One task never ends by itself: the waiter is still waiting.
        let mut running = background.running.subscribe();
        running.wait_for(|running| *running == 1).await.unwrap();
        assert!(!waiting.is_finished());
        // A task that panics is counted as ended too.
        background.spawn(async { panic!("a failing task") });
        running.wait_for(|running| *running == 1).await.unwrap();
        assert!(!waiting.is_finished());
        waiting.abort();
    }

    #[tokio::test]
    async fn idle_returns_at_once_when_nothing_runs() {
        Background::default().idle().await;
    }
}
