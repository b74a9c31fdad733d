// registry-cli's standard output: a stream buffer over a file descriptor that keeps why a write
// failed (a full disk, /dev/full, a pipe whose reader left while SIGPIPE is ignored), so that the
// tool can say its output is incomplete instead of exiting 0 as if all of it had been written.
// std::cout keeps no such reason: stdio drops a block it could not write and keeps only an error
// flag, and errno is overwritten by whatever the program does next.
//
//   FdOutputBuffer buffer(STDOUT_FILENO, isatty(STDOUT_FILENO) == 1);
//   std::ostream out(&buffer);
//   out << text;
//   if (!out.flush()) std::cerr << strerror(buffer.error());
#ifndef REGISTRY_CLIENT_OUTPUT_BUFFER_H_
#define REGISTRY_CLIENT_OUTPUT_BUFFER_H_

#include <streambuf>
#include <vector>

namespace registry::client {

class FdOutputBuffer : public std::streambuf {
 public:
  // Writes to `fd`, which stays open. `unbuffered` writes every piece as it comes (a terminal,
  // where a person watches the lines appear); else in blocks, written when full and at flush.
  FdOutputBuffer(int fd, bool unbuffered);
  // Writes what is still buffered.
  ~FdOutputBuffer() override;

  FdOutputBuffer(const FdOutputBuffer&) = delete;
  FdOutputBuffer& operator=(const FdOutputBuffer&) = delete;

  // The errno of the first write that failed, 0 while none has. After a failure nothing more is
  // written: what would follow a gap is not the output either.
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* data, std::streamsize size) override;
  int sync() override;

 private:
  bool WriteAll(const char* data, size_t size);
  // Writes the buffered bytes and empties the buffer.
  bool Drain();

  const int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_OUTPUT_BUFFER_H_
