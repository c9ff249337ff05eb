#include "ready_line.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

namespace umn {

bool ParseReadyLine(const std::string& line, ReadyLine* out) {
  // protobuf's JSON parser is already linked in; no second JSON library.
  google::protobuf::Struct value;
  if (!google::protobuf::util::JsonStringToMessage(line, &value).ok()) return false;
  const auto& fields = value.fields();
  auto ready = fields.find("ready");
  auto socket = fields.find("socket");
  auto counter = fields.find("counterSocket");
  if (ready == fields.end() || !ready->second.bool_value()) return false;
  if (socket == fields.end() || socket->second.kind_case() != google::protobuf::Value::kStringValue) return false;
  if (counter == fields.end() || counter->second.kind_case() != google::protobuf::Value::kStringValue) return false;
  out->socket = socket->second.string_value();
  out->counter_socket = counter->second.string_value();
  return !out->socket.empty();
}

}  // namespace umn
