// The controller's deadline queue: pending completions in (due_ns, seq)
// order. Most completions are due in the order their commands were
// scheduled (one timing model, one latency, a pipe that only moves
// forward), so an entry not earlier than the newest in-order one joins a
// FIFO ring, in and out in O(1) without moving entries around; only the
// others go to a binary heap. The earliest entry is the earlier of the two
// fronts. No allocation once the ring holds the most completions ever in
// flight.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nvmev {

// T has `int64_t due_ns` and `uint64_t seq` (FIFO among equal deadlines).
template <typename T>
class DeadlineQueue {
public:
    DeadlineQueue() : ring_(kInitialCapacity) { heap_.reserve(kInitialCapacity); }

    bool empty() const { return count_ == 0 && heap_.empty(); }
    size_t size() const { return count_ + heap_.size(); }
    void clear()
    {
        head_ = count_ = 0;
        heap_.clear();
    }

    void push(const T &e)
    {
        push(e.due_ns, e.seq, [&](T &slot) { slot = e; });
    }
    // Adds an entry due at due_ns and lets `fill` set its other fields in
    // place: an entry built elsewhere and copied in is read back with wide
    // loads of narrow stores, which must wait for every older store (the
    // command's data copy) to reach the cache.
    template <typename Fill>
    void push(int64_t due_ns, uint64_t seq, Fill fill)
    {
        T *slot;
        const bool in_order = count_ == 0 || !before(due_ns, seq, at(count_ - 1));
        if (in_order) {
            if (count_ == ring_.size()) {
                grow();
            }
            slot = &at(count_++);
        } else {
            slot = &heap_.emplace_back();
        }
        fill(*slot);
        slot->due_ns = due_ns;
        slot->seq = seq;
        if (!in_order) {
            std::push_heap(heap_.begin(), heap_.end(), Later{});
        }
    }

    // The earliest entry; the queue must not be empty.
    const T &top() const { return from_ring() ? at(0) : heap_.front(); }
    void pop()
    {
        if (from_ring()) {
            head_ = (head_ + 1) & (ring_.size() - 1);
            count_--;
        } else {
            std::pop_heap(heap_.begin(), heap_.end(), Later{});
            heap_.pop_back();
        }
    }

    // Calls f on every entry, in no particular order.
    template <typename F>
    void for_each(F f) const
    {
        for (size_t i = 0; i < count_; i++) {
            f(at(i));
        }
        for (const T &e : heap_) {
            f(e);
        }
    }

    // Moves the entries `pred` selects to `out` (in no particular order).
    template <typename Pred>
    void extract_if(Pred pred, std::vector<T> &out)
    {
        size_t kept = 0;
        for (size_t i = 0; i < count_; i++) {
            if (pred(at(i))) {
                out.push_back(at(i));
            } else {
                at(kept++) = at(i);  // order is kept: the ring stays sorted
            }
        }
        count_ = kept;
        const auto mid =
            std::partition(heap_.begin(), heap_.end(), [&](const T &e) { return !pred(e); });
        out.insert(out.end(), mid, heap_.end());
        heap_.erase(mid, heap_.end());
        std::make_heap(heap_.begin(), heap_.end(), Later{});
    }

    // Removes one entry `pred` selects into `out`; false if there is none.
    template <typename Pred>
    bool take_one(Pred pred, T &out)
    {
        for (size_t i = 0; i < count_; i++) {
            if (pred(at(i))) {
                out = at(i);
                for (; i + 1 < count_; i++) {
                    at(i) = at(i + 1);
                }
                count_--;
                return true;
            }
        }
        const auto it = std::find_if(heap_.begin(), heap_.end(), pred);
        if (it == heap_.end()) {
            return false;
        }
        out = *it;
        *it = heap_.back();
        heap_.pop_back();
        std::make_heap(heap_.begin(), heap_.end(), Later{});
        return true;
    }

    // Strict (due_ns, seq) order: the order completions are posted in.
    static bool earlier(const T &a, const T &b) { return before(a.due_ns, a.seq, b); }

private:
    static constexpr size_t kInitialCapacity = 1024;  // a power of two
    struct Later {
        bool operator()(const T &a, const T &b) const { return earlier(b, a); }
    };

    static bool before(int64_t due_ns, uint64_t seq, const T &b)
    {
        return due_ns != b.due_ns ? due_ns < b.due_ns : seq < b.seq;
    }
    T &at(size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }
    const T &at(size_t i) const { return ring_[(head_ + i) & (ring_.size() - 1)]; }
    bool from_ring() const
    {
        return count_ != 0 && (heap_.empty() || earlier(at(0), heap_.front()));
    }
    void grow()
    {
        std::vector<T> bigger(ring_.size() * 2);
        for (size_t i = 0; i < count_; i++) {
            bigger[i] = at(i);
        }
        ring_.swap(bigger);
        head_ = 0;
    }

    std::vector<T> ring_;  // size a power of two
    size_t head_ = 0;
    size_t count_ = 0;
    std::vector<T> heap_;  // min-heap on (due_ns, seq) via Later
};

}  // namespace nvmev
