#include "data_pattern.h"

#include <cstring>

namespace nvmev::sim {

void stamp_block(uint8_t *block, uint32_t bytes, uint64_t lba, uint64_t seq)
{
    const uint64_t head[3] = {kStampMagic, lba, seq};
    std::memcpy(block, head, sizeof head);
    uint64_t x = lba * 0x9e3779b97f4a7c15ull ^ seq;
    for (uint32_t off = sizeof head; off + 8 <= bytes; off += 8) {
        // splitmix64
        x += 0x9e3779b97f4a7c15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        std::memcpy(block + off, &z, 8);
    }
}

}  // namespace nvmev::sim
