//! A first-in, first-out queue on two `Vec`s: the machine's outputs and the executor's queue
//! of them. Smaller in wasm than `VecDeque` (whose ring-buffer copying is generic per type),
//! and amortised O(1): items are pushed on `back` and popped from `front`, which holds them
//! reversed and is refilled from `back` when empty.

#[derive(Debug)]
pub struct Fifo<T> {
    back: Vec<T>,
    front: Vec<T>,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Self { back: Vec::new(), front: Vec::new() }
    }
}

impl<T> Fifo<T> {
    pub fn push(&mut self, item: T) {
        self.back.push(item);
    }

    pub fn pop(&mut self) -> Option<T> {
        if self.front.is_empty() {
            self.back.reverse();
            std::mem::swap(&mut self.front, &mut self.back);
        }
        self.front.pop()
    }

    pub fn is_empty(&self) -> bool {
        self.front.is_empty() && self.back.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Fifo;

    #[test]
    fn first_in_first_out_across_refills() {
        let mut q = Fifo::default();
        assert!(q.is_empty());
        q.push(1);
        q.push(2);
        assert_eq!(q.pop(), Some(1));
        assert!(!q.is_empty(), "one left, in the back half");
        q.push(3);
        q.push(4);
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), Some(3));
        q.push(5);
        assert_eq!(q.pop(), Some(4));
        assert_eq!(q.pop(), Some(5));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }
}
