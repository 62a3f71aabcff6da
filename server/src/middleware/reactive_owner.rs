//! Each page render keeps its own reactive owner across the points where it waits.
//!
//! Leptos finds a render's contexts (the split-WASM manifest, the nonce, the `<head>` tags) through
//! the thread's current reactive owner. Its SSR response (`leptos_integration_utils`'s `from_app`)
//! sets that owner once, when it creates the request's root, then waits for the page's blocking
//! data, and only after that looks up the manifest to add the `<link rel="preload">` of a lazy
//! route's chunk. While it waited, the task may have moved to another worker thread, or another
//! request may have set its own owner on this one: the lookup then finds nothing (no preload, seen
//! as a flaky e2e check with two workers) or another request's contexts (its tags go to that
//! request's `<head>`).
//!
//! [`KeepOwner`] wraps each Leptos request ([`super::page_threads`] applies it) so that every poll
//! starts with the owner that the previous poll of the same request ended with, and puts the
//! thread's own owner back afterwards: the owner behaves as a task-local, which is what that code
//! assumes. It holds the owner weakly, so it never keeps a finished render alive.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use leptos::reactive::owner::{Owner, WeakOwner};

/// A future that carries the reactive owner its last poll ended with into its next poll.
pub struct KeepOwner<F> {
    inner: Pin<Box<F>>,
    owner: Option<WeakOwner>,
}

impl<F: Future> KeepOwner<F> {
    pub fn new(inner: F) -> Self {
        Self { inner: Box::pin(inner), owner: None }
    }
}

impl<F: Future> Future for KeepOwner<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let thread_owner = Owner::current();
        set_current(this.owner.take().and_then(|w| w.upgrade()));
        let poll = this.inner.as_mut().poll(cx);
        if poll.is_pending() {
            this.owner = Owner::current().map(|o| o.downgrade());
        }
        set_current(thread_owner);
        poll
    }
}

/// Makes `owner` the thread's current reactive owner, or leaves it with none.
fn set_current(owner: Option<Owner>) {
    match owner {
        Some(owner) => owner.set(),
        None => {
            if let Some(current) = Owner::current() {
                current.unset();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::{provide_context, use_context};
    use std::task::Waker;

    /// A render in miniature: makes its root owner current (as `Owner::new_root` does), provides a
    /// context, waits once, then reads the context back through the current owner.
    async fn render(name: &'static str) -> Option<&'static str> {
        let root = Owner::new_root(None);
        provide_context(name);
        Yield(false).await;
        let found = use_context::<&'static str>();
        drop(root);
        found
    }

    /// Pending once (waking itself), then ready.
    struct Yield(bool);
    impl Future for Yield {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// Two requests on one thread: `a` waits, `b` starts and waits (setting its own owner), then
    /// `a` runs to the end, then `b`.
    fn interleave<F: Future<Output = Option<&'static str>>>(
        a: F,
        b: F,
    ) -> (Option<&'static str>, Option<&'static str>) {
        let mut cx = Context::from_waker(Waker::noop());
        let (mut a, mut b) = (Box::pin(a), Box::pin(b));
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(b.as_mut().poll(&mut cx).is_pending());
        let Poll::Ready(a_out) = a.as_mut().poll(&mut cx) else { panic!("a waits once") };
        let Poll::Ready(b_out) = b.as_mut().poll(&mut cx) else { panic!("b waits once") };
        (a_out, b_out)
    }

    #[test]
    fn without_it_a_waiting_render_reads_the_other_requests_context() {
        // What the wrapper fixes, shown on the same two futures unwrapped.
        assert_eq!(interleave(render("a"), render("b")), (Some("b"), Some("b")));
    }

    #[test]
    fn each_render_reads_its_own_context_after_another_ran_in_between() {
        assert_eq!(interleave(KeepOwner::new(render("a")), KeepOwner::new(render("b"))), (Some("a"), Some("b")));
    }

    #[test]
    fn the_threads_own_owner_is_put_back_after_each_poll() {
        let outer = Owner::new_root(None);
        let mut cx = Context::from_waker(Waker::noop());
        let mut a = Box::pin(KeepOwner::new(render("a")));
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(Owner::current() == Some(outer.clone()), "the thread's owner is back after a pending poll");
        assert!(matches!(a.as_mut().poll(&mut cx), Poll::Ready(Some("a"))));
        assert!(Owner::current() == Some(outer.clone()), "and after the last one");
        outer.unset();
        let mut b = Box::pin(KeepOwner::new(render("b")));
        assert!(b.as_mut().poll(&mut cx).is_pending());
        assert!(Owner::current().is_none(), "a thread without an owner is left without one");
    }
}
