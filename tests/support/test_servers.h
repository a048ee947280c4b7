#pragma once

#include <memory>
#include <string>
#include <vector>

#include "services/common/mysql/mysql_pool.h"
#include "services/common/redis/redis_client.h"

namespace aggpay::testing {

// The checkout and build directories (from CTest's environment, with fallbacks).
std::string SourceDir();
std::string BuildDir();

// Real MariaDB and Redis servers on free loopback ports in a fresh temporary directory,
// started through tools/lib/servers.sh (the same script the local stack uses) and stopped
// when this object dies. One per test binary: see SharedServers().
class TestServers {
 public:
  TestServers();
  ~TestServers();

  int mysql_port() const { return mysql_port_; }
  int redis_port() const { return redis_port_; }
  const std::string& dir() const { return dir_; }

  // A new, empty database with every migration applied, and options to reach it.
  common::MysqlOptions CreateDatabase(const std::string& prefix = "t");
  common::RedisOptions Redis() const;

  void StopRedis();
  void StartRedis();
  // SIGSTOP / SIGCONT: a Redis that accepts connections (the kernel does) and never answers.
  void FreezeRedis();
  void ThawRedis();
  // MariaDB shut down (SIGTERM, as a restart or a failover does) and started again on the same
  // port and data directory.
  void StopMysql();
  void StartMysql();

  // Runs SQL as root against `database`; aborts the test on failure.
  void Sql(const std::string& database, const std::string& statement);

 private:
  std::string dir_;
  int mysql_port_ = 0;
  int redis_port_ = 0;
  int databases_ = 0;
};

// Started on first use, stopped at exit.
TestServers& SharedServers();

// Runs a command through /bin/sh, returning its exit code and stdout.
struct CommandResult {
  int exit_code = -1;
  std::string out;
};
CommandResult RunCommand(const std::string& command);
int FreePort();

}  // namespace aggpay::testing
