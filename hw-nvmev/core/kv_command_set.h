// The key-value commands of an ssd=kv namespace: the NVMe Key Value command
// set (KV 1.0; kv_io.cc) or, with kv-vendor-opcodes, NVMeVirt's opcodes
// (kv_vendor_io.cc), which share the store, retrieve and delete steps.
#pragma once

#include "io_command_set.h"

namespace nvmev {

class KvCommandSet : public IoCommandSet {
public:
    explicit KvCommandSet(const IoContext &io) : IoCommandSet(io) {}
    // vendor: NVMeVirt's opcodes instead of the KV command set's.
    Outcome execute(Request &req, bool vendor);
    static bool supports(uint8_t opcode, bool vendor);

private:
    static const IoHandlerTable<KvCommandSet> &table();
    static const IoHandlerTable<KvCommandSet> &vendor_table();
    // kv_io.cc
    Outcome kv_flush(Request &req) { return flush_namespace(req); }
    Outcome kv_store(Request &req);
    Outcome kv_retrieve(Request &req);
    Outcome kv_list(Request &req);
    Outcome kv_delete(Request &req);
    Outcome kv_exist(Request &req);
    // The command's key (KV 1.0: CDW2-3, CDW14-15; length in CDW11 7:0).
    Status kv_key(const Request &req, ftl::KvKey &key) const;
    Outcome kv_store_value(const Request &req, const ftl::KvKey &key, uint32_t len,
                           ftl::KvStoreMode mode, bool vendor);
    Outcome kv_retrieve_value(const Request &req, const ftl::KvKey &key, uint32_t offset,
                              uint64_t buffer, bool vendor);
    Outcome kv_remove(const Request &req, const ftl::KvKey &key, bool vendor);
    static Status kv_error(ftl::KvStatus r, bool vendor);
    // When a command with `index_ops` index lookups/updates, then `op` on
    // the sectors of extent e, completes (st: the media's status).
    int64_t kv_done(const Request &req, unsigned index_ops, ftl::MediaOp op, const ftl::KvExtent &e,
                    Status &st);
    Outcome kv_finish(const Request &req, unsigned index_ops, ftl::MediaOp op,
                      const ftl::KvExtent &e, Status status);
    // kv_vendor_io.cc
    Status kv_vendor_key(const Request &req, ftl::KvKey &key) const;
    Outcome kv_vendor_store(Request &req);
    Outcome kv_vendor_retrieve(Request &req);
    Outcome kv_vendor_delete(Request &req);
    Outcome kv_vendor_exist(Request &req);
    Outcome kv_vendor_iter_request(Request &req);
    Outcome kv_vendor_iter_read(Request &req);
    Outcome kv_vendor_batch(Request &req);
    Outcome kv_vendor_read(Request &req);
};

}  // namespace nvmev
