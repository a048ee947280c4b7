#include "services/common/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include "absl/strings/str_cat.h"
#include "services/common/log/logging.h"

namespace aggpay::common {
namespace {

RedisReply Flatten(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Flatten(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

}  // namespace

redisContext* DialRedis(const RedisOptions& options, absl::Duration timeout) {
  const timeval tv = absl::ToTimeval(timeout);
  return options.socket.empty() ? redisConnectWithTimeout(options.host.c_str(), options.port, tv)
                                : redisConnectUnixWithTimeout(options.socket.c_str(), tv);
}

std::string RedisAddress(const RedisOptions& options) {
  return options.socket.empty() ? absl::StrCat(options.host, ":", options.port)
                                : absl::StrCat("socket ", options.socket);
}

void RedisClient::ContextDeleter::operator()(redisContext* c) const { redisFree(c); }

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {}
RedisClient::~RedisClient() = default;

absl::StatusOr<RedisClient::ContextPtr> RedisClient::Connect() {
  ContextPtr c(DialRedis(options_, options_.connect_timeout));
  if (c == nullptr || c->err != 0) {
    return absl::UnavailableError(absl::StrCat("redis ", RedisAddress(options_),
                                               " unreachable: ", c ? c->errstr : "no memory"));
  }
  redisSetTimeout(c.get(), absl::ToTimeval(options_.command_timeout));
  if (!options_.password.empty()) {
    auto* r = static_cast<redisReply*>(redisCommand(c.get(), "AUTH %s", options_.password.c_str()));
    const bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
    if (r != nullptr) freeReplyObject(r);
    if (!ok) return absl::UnavailableError("redis authentication failed");
  }
  return c;
}

absl::StatusOr<RedisClient::ContextPtr> RedisClient::Take() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.pool_size; });
  if (!idle_.empty()) {
    ContextPtr c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  if (absl::Now() < down_until_) return absl::UnavailableError("redis unavailable (backing off)");
  ++open_;
  lock.unlock();
  auto c = Connect();
  if (!c.ok()) {
    std::lock_guard relock(mu_);
    --open_;
    down_until_ = absl::Now() + options_.reconnect_backoff;
    cv_.notify_one();
    return c.status();
  }
  return c;
}

void RedisClient::Give(ContextPtr c) {
  std::lock_guard lock(mu_);
  if (c == nullptr) {
    --open_;
  } else {
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

absl::StatusOr<RedisReply> RedisClient::Command(const std::vector<absl::string_view>& argv) {
  auto c = Take();
  if (!c.ok()) return c.status();
  std::vector<const char*> args;
  std::vector<size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (auto a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(c->get(), static_cast<int>(args.size()), args.data(), lens.data()));
  if (raw == nullptr) {
    const std::string err = (*c)->errstr;
    Give(nullptr);  // the connection is unusable after an I/O error or timeout
    return absl::UnavailableError(absl::StrCat("redis: ", err));
  }
  std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(raw, freeReplyObject);
  Give(std::move(*c));
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::InternalError(absl::StrCat("redis error: ", std::string(reply->str, reply->len)));
  }
  return Flatten(reply.get());
}

absl::Status RedisClient::Ping() { return Command({"PING"}).status(); }

absl::StatusOr<std::optional<std::string>> RedisClient::Get(absl::string_view key) {
  auto r = Command({"GET", key});
  if (!r.ok()) return r.status();
  if (r->type == RedisReply::Type::kNil) return std::optional<std::string>();
  return std::optional<std::string>(std::move(r->str));
}

absl::Status RedisClient::Set(absl::string_view key, absl::string_view value, absl::Duration ttl) {
  const std::string ms = std::to_string(absl::ToInt64Milliseconds(ttl));
  return Command({"SET", key, value, "PX", ms}).status();
}

absl::StatusOr<bool> RedisClient::SetIfAbsent(absl::string_view key, absl::string_view value,
                                              absl::Duration ttl) {
  const std::string ms = std::to_string(absl::ToInt64Milliseconds(ttl));
  auto r = Command({"SET", key, value, "PX", ms, "NX"});
  if (!r.ok()) return r.status();
  return r->type != RedisReply::Type::kNil;
}

absl::StatusOr<int64_t> RedisClient::Del(absl::string_view key) {
  auto r = Command({"DEL", key});
  if (!r.ok()) return r.status();
  return r->integer;
}

absl::StatusOr<int64_t> RedisClient::Publish(absl::string_view channel, absl::string_view message) {
  auto r = Command({"PUBLISH", channel, message});
  if (!r.ok()) return r.status();
  return r->integer;
}

absl::StatusOr<RedisReply> RedisClient::Eval(absl::string_view script,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) {
  const std::string nkeys = std::to_string(keys.size());
  std::vector<absl::string_view> argv = {"EVAL", script, nkeys};
  for (const auto& k : keys) argv.push_back(k);
  for (const auto& a : args) argv.push_back(a);
  return Command(argv);
}

}  // namespace aggpay::common
