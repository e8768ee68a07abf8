// The namespace's backing store of a simulation: anonymous memory, or
// --memdev-file's file mapped shared as QEMU maps a memory-backend-file.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace nvmev::sim {

// The namespace's backing store: anonymous memory (the untouched part of a
// large namespace costs nothing), or --memdev-file's file mapped shared, as
// QEMU maps a memory-backend-file with share=on.
class Backing {
public:
    uint8_t *p = nullptr;
    size_t bytes = 0;

    Backing() = default;
    Backing(const Backing &) = delete;
    Backing &operator=(const Backing &) = delete;
    ~Backing()
    {
        if (p) {
            if (fd_ >= 0) {
                msync(p, bytes, MS_SYNC);
            }
            munmap(p, bytes);
        }
        if (fd_ >= 0) {
            close(fd_);
        }
        if (created_ && !keep_) {
            unlink(path_.c_str());
        }
    }

    bool map_anonymous(size_t n)
    {
        bytes = n ? n : 1;
        void *m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        p = m == MAP_FAILED ? nullptr : static_cast<uint8_t *>(m);
        if (p) {
            // Huge pages: a first touch faults 2 MiB at once, and the 4 KiB
            // copies of a large namespace miss the TLB far less.
            madvise(p, bytes, MADV_HUGEPAGE);
        }
        return p != nullptr;
    }

    // Maps `path` whole. Absent or empty, it is created with `size` bytes
    // (0: an error, as memory-backend-file needs size=); present, its size
    // is the backend's, and a `size` other than 0 must equal it.
    bool map_file(const std::string &path, uint64_t size, std::string &err)
    {
        path_ = path;
        const std::string what = "--memdev-file " + path;
        struct stat st {};
        const bool exists = stat(path.c_str(), &st) == 0;
        if (!exists && errno != ENOENT) {
            err = what + ": " + std::strerror(errno);
            return false;
        }
        if (exists && !S_ISREG(st.st_mode)) {
            err = what + ": not a regular file";
            return false;
        }
        const uint64_t have = exists ? static_cast<uint64_t>(st.st_size) : 0;
        if (have == 0 && size == 0) {
            err = what + (exists ? " is empty" : " does not exist") +
                  ": give size= in --device to create the drive (the backend's size, as "
                  "memory-backend-file's size=)";
            return false;
        }
        if (have != 0 && size != 0 && have != size) {
            err = what + " holds " + std::to_string(have) +
                  " bytes, but --device gives size=" + std::to_string(size) +
                  ": with a memdev file the capacity is the file's size; leave size= out or "
                  "give size=" +
                  std::to_string(have);
            return false;
        }
        fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) {
            err = what + ": " + std::strerror(errno);
            return false;
        }
        created_ = !exists;
        if (have == 0 && ftruncate(fd_, static_cast<off_t>(size)) != 0) {
            err = what + ": cannot size it to " + std::to_string(size) +
                  " bytes: " + std::strerror(errno);
            return false;
        }
        bytes = have ? have : size;
        void *m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
        if (m == MAP_FAILED) {
            err =
                what + ": cannot map " + std::to_string(bytes) + " bytes: " + std::strerror(errno);
            return false;
        }
        p = static_cast<uint8_t *>(m);
        return true;
    }

    bool is_file() const { return fd_ >= 0; }
    // The run is done: a file this run created stays (a failed run removes it).
    void keep() { keep_ = true; }

    // Writes the file's pages back (the run's end; the core is gone).
    bool sync(std::string &err)
    {
        if (fd_ >= 0 && p && msync(p, bytes, MS_SYNC) != 0) {
            err = "--memdev-file " + path_ + ": msync: " + std::strerror(errno);
            return false;
        }
        return true;
    }

private:
    int fd_ = -1;
    std::string path_;
    bool created_ = false, keep_ = false;
};

}  // namespace nvmev::sim
