// When the entries of the admin tables (admin_tables.h) are offered: what
// the controller's namespaces make available.
#include "admin_tables.h"

namespace nvmev {

bool AdminTables::offers(const Controller &c, Offer o)
{
    switch (o) {
        case Offer::kAlways: return true;
        case Offer::kMultiNamespace: return c.multi_namespace();
        case Offer::kMultiNamespaceOrKv: return c.multi_namespace() || c.first_kv();
        case Offer::kMultiController: return c.multi_namespace() || c.subsys_;
        case Offer::kZoned: return c.first_zoned() != nullptr;
        case Offer::kVendorKv: return c.has_vendor_kv();
    }
    return false;
}

bool AdminTables::offers_csi(const Controller &c, uint8_t csi)
{
    switch (csi) {
        case NVME_CSI_NVM: return true;
        case NVME_CSI_ZNS: return c.first_zoned() != nullptr;
        case NVME_CSI_KV: return c.first_kv() != nullptr;
        default: return false;
    }
}

}  // namespace nvmev
