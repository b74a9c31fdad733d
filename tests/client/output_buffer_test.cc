#include "client/output_buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <ostream>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace registry::client {
namespace {

// Everything written to the write end of a pipe, read on another thread until it is closed.
class PipeReader {
 public:
  PipeReader() {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    reader_ = std::thread([this] {
      char piece[4096];
      ssize_t n;
      while ((n = read(read_fd_, piece, sizeof(piece))) > 0) {
        text_.append(piece, static_cast<size_t>(n));
      }
    });
  }
  ~PipeReader() {
    if (write_fd_ >= 0) close(write_fd_);
    if (reader_.joinable()) reader_.join();
    close(read_fd_);
  }
  int fd() const { return write_fd_; }
  // Closes the write end and returns what was read.
  std::string Finish() {
    close(write_fd_);
    write_fd_ = -1;
    reader_.join();
    return text_;
  }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::string text_;
  std::thread reader_;
};

TEST(FdOutputBufferTest, EverythingArrivesInOrderBufferedOrNot) {
  for (const bool unbuffered : {false, true}) {
    PipeReader pipe;
    const std::string big(20000, 'x');
    std::string expected;
    {
      FdOutputBuffer buffer(pipe.fd(), unbuffered);
      std::ostream out(&buffer);
      out << "first line\n" << 'c' << big << 42 << '\n';
      out.flush();
      out << "after the flush" << std::string(5000, 'y') << "end\n";
      EXPECT_TRUE(out.good());
      EXPECT_EQ(buffer.error(), 0);
      expected = "first line\nc" + big + "42\nafter the flush" + std::string(5000, 'y') + "end\n";
    }  // the rest is written when the buffer goes
    EXPECT_EQ(pipe.Finish(), expected) << "unbuffered: " << unbuffered;
  }
}

// /dev/full fails every write with ENOSPC, as a full disk does: the stream goes bad and the
// buffer keeps why, for the message.
TEST(FdOutputBufferTest, AFailedWriteMakesTheStreamBadAndKeepsWhy) {
  for (const bool unbuffered : {false, true}) {
    const int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << "no /dev/full";
    {
      FdOutputBuffer buffer(fd, unbuffered);
      std::ostream out(&buffer);
      out << "a line\n";
      out.flush();
      EXPECT_TRUE(out.bad()) << "unbuffered: " << unbuffered;
      EXPECT_EQ(buffer.error(), ENOSPC);
    }
    close(fd);
  }
}

}  // namespace
}  // namespace registry::client
