#include "services/common/audit/grpc_audit_sink.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include "aggpay/v1/admin.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/status_mapping.h"

namespace aggpay::common {

GrpcAuditSink::GrpcAuditSink(std::shared_ptr<grpc::Channel> admin, std::string internal_secret)
    : admin_(std::move(admin)), internal_secret_(std::move(internal_secret)) {}

namespace {

void ToProto(const AuditRecord& r, aggpay::v1::AuditEntry* e) {
  *e->mutable_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(r.at));
  e->set_actor(r.actor);
  e->set_role(r.role);
  e->set_action(r.action);
  e->set_target(r.target);
  e->set_request_id(r.request_id);
  e->set_outcome(r.outcome);
  e->set_details(r.details);
  e->set_source_key(r.source_key);
}

}  // namespace

absl::Status GrpcAuditSink::Append(const AuditRecord& r) {
  auto stub = aggpay::v1::AdminService::NewStub(admin_);
  auto ctx = InternalContext(internal_secret_);
  aggpay::v1::AppendAuditRequest req;
  ToProto(r, req.mutable_entry());
  aggpay::v1::AppendAuditResponse resp;
  return FromGrpcStatus(stub->AppendAudit(ctx.get(), req, &resp));
}

absl::Status GrpcAuditSink::AppendBatch(const std::vector<AuditRecord>& records) {
  if (records.empty()) return absl::OkStatus();
  auto stub = aggpay::v1::AdminService::NewStub(admin_);
  auto ctx = InternalContext(internal_secret_);
  aggpay::v1::AppendAuditRequest req;
  for (const AuditRecord& r : records) ToProto(r, req.add_entries());
  aggpay::v1::AppendAuditResponse resp;
  return FromGrpcStatus(stub->AppendAudit(ctx.get(), req, &resp));
}

}  // namespace aggpay::common
