# aggpay_proto_library(NAME PROTOS a.proto b.proto ...)
# Generates C++ message and gRPC code at build time into the build tree (never committed)
# and builds it into one static library that services link.
function(aggpay_proto_library name)
  cmake_parse_arguments(ARG "" "" "PROTOS" ${ARGN})
  set(proto_root ${PROJECT_SOURCE_DIR}/proto)
  set(gen_dir ${CMAKE_BINARY_DIR}/gen)
  set(googleapis /usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis)
  get_target_property(grpc_plugin gRPC::grpc_cpp_plugin LOCATION)
  file(MAKE_DIRECTORY ${gen_dir})
  set(srcs)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${proto_root} ${abs})
    string(REGEX REPLACE "\\.proto$" "" base ${rel})
    set(out ${gen_dir}/${base}.pb.cc ${gen_dir}/${base}.pb.h
            ${gen_dir}/${base}.grpc.pb.cc ${gen_dir}/${base}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${out}
      COMMAND protobuf::protoc
        --proto_path=${proto_root} --proto_path=${googleapis}
        --cpp_out=${gen_dir} --grpc_out=${gen_dir}
        --plugin=protoc-gen-grpc=${grpc_plugin}
        ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${rel}"
      VERBATIM)
    list(APPEND srcs ${out})
  endforeach()
  # googleapis' annotations are compiled once, into the same library.
  foreach(gapi google/api/annotations google/api/http google/rpc/status google/rpc/error_details)
    set(out ${gen_dir}/${gapi}.pb.cc ${gen_dir}/${gapi}.pb.h)
    add_custom_command(
      OUTPUT ${out}
      COMMAND protobuf::protoc --proto_path=${googleapis} --cpp_out=${gen_dir} ${googleapis}/${gapi}.proto
      DEPENDS ${googleapis}/${gapi}.proto
      COMMENT "protoc ${gapi}.proto"
      VERBATIM)
    list(APPEND srcs ${out})
  endforeach()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} SYSTEM PUBLIC ${gen_dir})
  target_link_libraries(${name} PUBLIC gRPC::grpc++ protobuf::libprotobuf)
endfunction()
