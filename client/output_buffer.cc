#include "client/output_buffer.h"

#include <errno.h>
#include <unistd.h>

#include <cstddef>

namespace registry::client {
namespace {

// As stdio buffers a file or a pipe: a few blocks.
constexpr size_t kBufferBytes = 8192;

}  // namespace

FdOutputBuffer::FdOutputBuffer(int fd, bool unbuffered) : fd_(fd) {
  if (!unbuffered) buffer_.resize(kBufferBytes);
  // Without a buffer there is no put area: every character and piece reaches overflow or
  // xsputn, which write it at once.
  setp(buffer_.data(), buffer_.data() + buffer_.size());
}

FdOutputBuffer::~FdOutputBuffer() { Drain(); }

bool FdOutputBuffer::WriteAll(const char* data, size_t size) {
  if (error_ != 0) return false;
  while (size > 0) {
    const ssize_t n = write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = n < 0 ? errno : EIO;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool FdOutputBuffer::Drain() {
  const bool written = WriteAll(pbase(), static_cast<size_t>(pptr() - pbase()));
  setp(buffer_.data(), buffer_.data() + buffer_.size());
  return written;
}

FdOutputBuffer::int_type FdOutputBuffer::overflow(int_type ch) {
  if (!Drain()) return traits_type::eof();
  if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
  const char c = traits_type::to_char_type(ch);
  if (buffer_.empty()) return WriteAll(&c, 1) ? ch : traits_type::eof();
  *pptr() = c;
  pbump(1);
  return ch;
}

std::streamsize FdOutputBuffer::xsputn(const char* data, std::streamsize size) {
  if (size <= 0) return 0;
  const size_t count = static_cast<size_t>(size);
  // What fits is buffered; a larger piece goes out whole after what was buffered before it.
  if (count <= static_cast<size_t>(epptr() - pptr())) {
    traits_type::copy(pptr(), data, count);
    pbump(static_cast<int>(count));
    return size;
  }
  if (!Drain()) return 0;
  if (count < buffer_.size()) {
    traits_type::copy(pptr(), data, count);
    pbump(static_cast<int>(count));
    return size;
  }
  return WriteAll(data, count) ? size : 0;
}

int FdOutputBuffer::sync() { return Drain() ? 0 : -1; }

}  // namespace registry::client
