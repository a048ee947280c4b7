#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct redisContext;

namespace aggpay::common {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // A Unix socket path: when set, it is used instead of host and port (see MysqlOptions).
  std::string socket;
  std::string password;  // from the environment
  absl::Duration connect_timeout = absl::Milliseconds(200);
  absl::Duration command_timeout = absl::Milliseconds(200);
  int pool_size = 4;
  // After a failed connect, how long callers get UNAVAILABLE at once instead of each waiting
  // for a connect timeout while Redis is down.
  absl::Duration reconnect_backoff = absl::Milliseconds(500);
};

// A new hiredis connection to `options`' socket, or its host and port when no socket is set,
// waiting at most `timeout`. The caller owns it (redisFree); null or ->err on failure. Every
// connection aggpayd opens to Redis is made here, so that each honours the same settings.
redisContext* DialRedis(const RedisOptions& options, absl::Duration timeout);
// Where DialRedis connects, for messages: "socket PATH" or "HOST:PORT".
std::string RedisAddress(const RedisOptions& options);

// One reply, flattened: nil, integer, string (bulk or status) or an array of replies.
struct RedisReply {
  enum class Type { kNil, kInteger, kString, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;
  std::vector<RedisReply> elements;
};

// A small pool of hiredis connections with connect and command timeouts. Every failure is a
// status (UNAVAILABLE when Redis cannot be reached or times out); broken connections are
// dropped and re-opened on the next call, so a Redis restart heals by itself.
class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  absl::StatusOr<RedisReply> Command(const std::vector<absl::string_view>& argv);

  absl::Status Ping();
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key);
  absl::Status Set(absl::string_view key, absl::string_view value, absl::Duration ttl);
  // SET NX with a TTL: true when the key was set, false when it already existed.
  absl::StatusOr<bool> SetIfAbsent(absl::string_view key, absl::string_view value,
                                   absl::Duration ttl);
  absl::StatusOr<int64_t> Del(absl::string_view key);
  absl::StatusOr<int64_t> Publish(absl::string_view channel, absl::string_view message);
  absl::StatusOr<RedisReply> Eval(absl::string_view script, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args);

  const RedisOptions& options() const { return options_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  absl::StatusOr<ContextPtr> Connect();
  absl::StatusOr<ContextPtr> Take();
  void Give(ContextPtr c);

  RedisOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ContextPtr> idle_;
  int open_ = 0;
  absl::Time down_until_ = absl::InfinitePast();
};

}  // namespace aggpay::common
