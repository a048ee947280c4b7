#pragma once

#include "aggpay/v1/admin.grpc.pb.h"
#include "services/admin/audit_repository.h"
#include "services/admin/expiry_report.h"
#include "services/admin/staff_directory.h"
#include "services/common/clock/clock.h"

namespace aggpay::admin {

// gRPC handlers of aggpay.v1.AdminService: proto <-> domain mapping and status mapping only.
class AdminServiceImpl final : public aggpay::v1::AdminService::Service {
 public:
  AdminServiceImpl(StaffDirectory& staff, AuditRepository& audit) : staff_(staff), audit_(audit) {}

  grpc::Status CreateStaff(grpc::ServerContext* ctx, const aggpay::v1::CreateStaffRequest* req,
                           aggpay::v1::Staff* resp) override;
  grpc::Status ListStaff(grpc::ServerContext* ctx, const aggpay::v1::ListStaffRequest* req,
                         aggpay::v1::ListStaffResponse* resp) override;
  grpc::Status DisableStaff(grpc::ServerContext* ctx, const aggpay::v1::DisableStaffRequest* req,
                            aggpay::v1::Staff* resp) override;
  grpc::Status IssueToken(grpc::ServerContext* ctx, const aggpay::v1::IssueTokenRequest* req,
                          aggpay::v1::IssueTokenResponse* resp) override;
  grpc::Status RevokeToken(grpc::ServerContext* ctx, const aggpay::v1::RevokeTokenRequest* req,
                           aggpay::v1::RevokeTokenResponse* resp) override;
  grpc::Status WhoAmI(grpc::ServerContext* ctx, const aggpay::v1::WhoAmIRequest* req,
                      aggpay::v1::Principal* resp) override;
  grpc::Status ListAudit(grpc::ServerContext* ctx, const aggpay::v1::ListAuditRequest* req,
                         aggpay::v1::ListAuditResponse* resp) override;
  grpc::Status VerifyAudit(grpc::ServerContext* ctx, const aggpay::v1::VerifyAuditRequest* req,
                           aggpay::v1::VerifyAuditResponse* resp) override;
  grpc::Status SetStaffCredentials(grpc::ServerContext* ctx,
                                   const aggpay::v1::SetStaffCredentialsRequest* req,
                                   aggpay::v1::SetStaffCredentialsResponse* resp) override;
  grpc::Status SignIn(grpc::ServerContext* ctx, const aggpay::v1::SignInRequest* req,
                      aggpay::v1::SignInResponse* resp) override;
  grpc::Status SignOut(grpc::ServerContext* ctx, const aggpay::v1::SignOutRequest* req,
                       aggpay::v1::SignOutResponse* resp) override;
  grpc::Status Authenticate(grpc::ServerContext* ctx, const aggpay::v1::AuthenticateRequest* req,
                            aggpay::v1::Principal* resp) override;
  grpc::Status ListExpiring(grpc::ServerContext* ctx, const aggpay::v1::ListExpiringRequest* req,
                            aggpay::v1::ListExpiringResponse* resp) override;
  // The expiry watch's report; without one ListExpiring is UNAVAILABLE.
  void set_expiry(const ExpiryReport* expiry) { expiry_ = expiry; }
  grpc::Status AppendAudit(grpc::ServerContext* ctx, const aggpay::v1::AppendAuditRequest* req,
                           aggpay::v1::AppendAuditResponse* resp) override;

 private:
  StaffDirectory& staff_;
  AuditRepository& audit_;
  const ExpiryReport* expiry_ = nullptr;
};

}  // namespace aggpay::admin
