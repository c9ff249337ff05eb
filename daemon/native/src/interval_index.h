// IntervalIndex: the registrations as byte ranges [start, end), in an
// augmented treap (a randomized balanced search tree) keyed by (start,
// cookie), each node carrying the largest end in its subtree.  Insert and
// erase are O(log n) expected; visiting the k ranges that overlap a query
// range is O(log n + k).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

namespace ummu {

class IntervalIndex {
 public:
  IntervalIndex() = default;
  IntervalIndex(const IntervalIndex&) = delete;
  IntervalIndex& operator=(const IntervalIndex&) = delete;

  void Insert(uint64_t cookie, uint64_t start, uint64_t end) {
    auto node = std::make_unique<Node>(cookie, start, end, NextPriority());
    auto [left, right] = Split(std::move(root_), start, cookie);
    root_ = Merge(Merge(std::move(left), std::move(node)), std::move(right));
    size_++;
  }

  // Returns whether (cookie, start) was present.
  bool Erase(uint64_t cookie, uint64_t start) {
    bool found = false;
    root_ = EraseFrom(std::move(root_), start, cookie, &found);
    if (found) size_--;
    return found;
  }

  // Calls fn(cookie, start, end) for every range with start < b && end > a.
  template <typename Fn>
  void ForEachOverlap(uint64_t a, uint64_t b, Fn&& fn) const {
    Visit(root_.get(), a, b, fn);
  }

  size_t size() const { return size_; }
  void Clear() {
    root_.reset();
    size_ = 0;
  }

 private:
  struct Node {
    Node(uint64_t c, uint64_t s, uint64_t e, uint64_t p) : cookie(c), start(s), end(e), max_end(e), priority(p) {}
    uint64_t cookie, start, end, max_end, priority;
    std::unique_ptr<Node> left, right;
  };
  using Ptr = std::unique_ptr<Node>;

  static bool Less(uint64_t s1, uint64_t c1, uint64_t s2, uint64_t c2) { return s1 < s2 || (s1 == s2 && c1 < c2); }

  static void Update(Node* n) {
    n->max_end = n->end;
    if (n->left) n->max_end = std::max(n->max_end, n->left->max_end);
    if (n->right) n->max_end = std::max(n->max_end, n->right->max_end);
  }

  // (keys < (start, cookie), keys >= (start, cookie))
  static std::pair<Ptr, Ptr> Split(Ptr t, uint64_t start, uint64_t cookie) {
    if (!t) return {nullptr, nullptr};
    if (Less(t->start, t->cookie, start, cookie)) {
      auto [l, r] = Split(std::move(t->right), start, cookie);
      t->right = std::move(l);
      Update(t.get());
      return {std::move(t), std::move(r)};
    }
    auto [l, r] = Split(std::move(t->left), start, cookie);
    t->left = std::move(r);
    Update(t.get());
    return {std::move(l), std::move(t)};
  }

  static Ptr Merge(Ptr a, Ptr b) {
    if (!a) return b;
    if (!b) return a;
    if (a->priority > b->priority) {
      a->right = Merge(std::move(a->right), std::move(b));
      Update(a.get());
      return a;
    }
    b->left = Merge(std::move(a), std::move(b->left));
    Update(b.get());
    return b;
  }

  static Ptr EraseFrom(Ptr t, uint64_t start, uint64_t cookie, bool* found) {
    if (!t) return nullptr;
    if (t->start == start && t->cookie == cookie) {
      *found = true;
      return Merge(std::move(t->left), std::move(t->right));
    }
    if (Less(start, cookie, t->start, t->cookie)) {
      t->left = EraseFrom(std::move(t->left), start, cookie, found);
    } else {
      t->right = EraseFrom(std::move(t->right), start, cookie, found);
    }
    Update(t.get());
    return t;
  }

  template <typename Fn>
  static void Visit(const Node* n, uint64_t a, uint64_t b, Fn& fn) {
    while (n != nullptr && n->max_end > a) {
      Visit(n->left.get(), a, b, fn);
      if (n->start >= b) return;  // this node and everything to its right start too late
      if (n->end > a) fn(n->cookie, n->start, n->end);
      n = n->right.get();
    }
  }

  uint64_t NextPriority() {  // xorshift64*
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 0x2545F4914F6CDD1DULL;
  }

  Ptr root_;
  size_t size_ = 0;
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace ummu
