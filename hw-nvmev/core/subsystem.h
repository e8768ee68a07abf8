// An NVM subsystem (NVMe 2.0c 1.5.2, 2.4): controllers that share one
// subsystem NQN, each with its own CNTLID, and the namespaces they share.
// Every controller of a subsystem has the same NSID 1: the first to join
// creates it, the others must describe it alike (check_shared()) and use
// that very Namespace, data, FTL and zone state included. Its controllers'
// cores take the subsystem's lock instead of their own (core_api.cc), so
// only one of them touches the shared state at a time; data copies run
// without it, as for a single controller's queue groups.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "namespace.h"

namespace nvmev {

class Controller;

class Subsystem {
public:
    explicit Subsystem(std::string nqn) : nqn_(std::move(nqn)) {}

    const std::string &nqn() const { return nqn_; }
    std::mutex &lock() { return lock_; }

    // Everything below with lock() held.

    // The CNTLID a joining controller gets: `want`, or the lowest free one
    // from 1 if want is 0; "" or an error naming property 'cntlid'.
    std::string pick_cntlid(uint16_t want, uint16_t &got) const;
    void add(Controller *c, uint16_t cntlid, const Host *host);
    // A controller leaves (unplugged or freed): the shared namespaces'
    // FTL events go to another controller's host from now on.
    void remove(const Controller *c);
    size_t controllers() const { return members_.size(); }
    // f(const Controller &) for every member but `self` (copy_conflicts.cc).
    template <typename F>
    void for_each_other(const Controller *self, F &&f) const
    {
        for (const Member &m : members_) {
            if (m.ctrl != self) {
                f(*m.ctrl);
            }
        }
    }
    // The member CNTLIDs, ascending.
    std::vector<uint16_t> cntlids() const;

    // The namespace every controller's NSID `nsid` is, or nullptr.
    std::shared_ptr<Namespace> shared(uint32_t nsid) const { return namespaces_.at(nsid); }
    void set_shared(uint32_t nsid, std::shared_ptr<Namespace> ns) { namespaces_.at(nsid) = ns; }

    // "" if a namespace configured as `want` may join `have`; otherwise an
    // error naming the first property that differs.
    static std::string check_shared(const NamespaceConfig &have, const NamespaceConfig &want);

private:
    struct Member {
        const Controller *ctrl;
        uint16_t cntlid;
        const Host *host;
    };
    const std::string nqn_;
    std::mutex lock_;
    std::vector<Member> members_;
    std::array<std::shared_ptr<Namespace>, kMaxNamespaces + 1> namespaces_;
};

}  // namespace nvmev
