// Vendor opcode 66h "fused read-and-write": one command writes one LBA range
// and then reads another (the example of NVMeVirt's tutorial; the layout is
// ours, documented in docs/extending.md):
//   CDW10-11  write SLBA            CDW13-14  read SLBA
//   CDW12     bits 15:0 write NLB (0's based), bit 30 FUA (of the write)
//   CDW15     bits 15:0 read NLB (0's based)
//   PRP1/PRP2 one buffer: write data (write NLB blocks), then room for the
//             read data (read NLB blocks)
// Opcode bits 1:0 are 10b (controller to host), so Linux passthrough maps
// the caller's pages for the device to fill; the device first takes the
// write data from the front of those pages, then fills the back.
#include <algorithm>

#include "vendor_commands.h"

namespace nvmev {
namespace {

static_assert(data_direction(kOpcodeFusedReadWrite) == DataDirection::ControllerToHost,
              "66h is a data-in command for the host driver");

struct FusedRange {
    uint64_t slba;
    uint32_t nlb;
};

FusedRange write_range(const Sqe &sqe)
{
    return {sqe.cdw10 | (uint64_t{sqe.cdw11} << 32), (sqe.cdw12 & 0xffff) + 1};
}

FusedRange read_range(const Sqe &sqe)
{
    return {sqe.cdw13 | (uint64_t{sqe.cdw14} << 32), (sqe.cdw15 & 0xffff) + 1};
}

// Write Uncorrectable marks in the read range that the write does not
// rewrite first: those fail the read.
bool unreadable(const VendorIo &io, FusedRange w, FusedRange r)
{
    const uint64_t w_end = w.slba + w.nlb, r_end = r.slba + r.nlb;
    if (r.slba < w.slba && io.uncorrectable(r.slba, std::min(r_end, w.slba) - r.slba)) {
        return true;
    }
    const uint64_t tail = std::max(r.slba, w_end);
    return r_end > tail && io.uncorrectable(tail, r_end - tail);
}

// Every check both halves need, before anything moves: a rejected command
// changes nothing.
Status check(const VendorIo &io, const Sqe &sqe, FusedRange w, FusedRange r)
{
    for (const FusedRange &range : {w, r}) {
        const Status st = io.check_range(sqe, range.slba, range.nlb);
        if (st != kSuccess) {
            return st;
        }
    }
    Status st = io.check_transfer((uint64_t{w.nlb} + r.nlb) << io.lba_shift());
    if (st == kSuccess) {
        st = io.check_zone_write(w.slba, w.nlb);
    }
    if (st == kSuccess) {
        st = io.check_zone_read(r.slba, r.nlb);
    }
    if (st == kSuccess && unreadable(io, w, r)) {
        st = kUnrecoveredReadError;
    }
    return st;
}

}  // namespace

// Timed as a Write followed by a Read that starts when the write completes:
// the read may cover the blocks just written, so it cannot overtake them.
// A failed read transfer does not undo the committed write (as with a
// Write followed by a failing Read).
Outcome fused_read_write(VendorIo &io, const Sqe &sqe)
{
    const FusedRange w = write_range(sqe), r = read_range(sqe);
    Status st = check(io, sqe, w, r);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const uint64_t write_bytes = uint64_t{w.nlb} << io.lba_shift();
    st = io.map_buffer(sqe, write_bytes + (uint64_t{r.nlb} << io.lba_shift()));
    if (st == kSuccess) {
        st = io.write_from_host(0, w.slba, w.nlb);
    }
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const bool fua = (sqe.cdw12 >> 30) & 1;
    const ftl::MediaResult written =
        io.media(ftl::MediaOp::Write, w.slba, w.nlb, fua, io.fetch_ns());
    if (written.status != kSuccess) {
        return Outcome::of(written.status);
    }
    st = io.read_to_host(write_bytes, r.slba, r.nlb);
    if (st != kSuccess) {
        return Outcome::of(st);
    }
    const ftl::MediaResult read =
        io.media(ftl::MediaOp::Read, r.slba, r.nlb, false, written.complete_at_ns);
    Outcome out = Outcome::of(read.status);
    out.complete_at_ns = std::max(read.complete_at_ns, written.complete_at_ns);
    return out;
}

}  // namespace nvmev
