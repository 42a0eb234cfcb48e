// Reading MessagePack in place (core/msgpack_view.h): every encoding nlohmann writes, and buffers that lie.
#include <gtest/gtest.h>

#include "slime/core/json.h"
#include "slime/core/msgpack_view.h"

namespace slime::core::msgpack {
namespace {

std::vector<std::uint8_t> pack(const Json& j) { return Json::to_msgpack(j); }
Bytes view(const std::vector<std::uint8_t>& v) { return Bytes(v.data(), v.size()); }

TEST(MsgpackView, SizesEveryKindOfValueAsNlohmannWritesIt) {
  const std::string long_str(70000, 'x');  // str32
  const Json values[] = {nullptr, true, false, 0, 127, 128, 65535, 65536, 4294967296LL, -1, -33, -129, -40000,
                         -3000000000LL, 1.5, "", "short", std::string(40, 'a'), std::string(300, 'b'), long_str,
                         Json::array(), Json::array({1, "a", Json::object()}), Json::object(),
                         Json(std::vector<int>(20, 7)), Json::binary({1, 2, 3}),
                         Json::parse(R"({"a":{"b":[1,{"c":null}]},"d":"e"})")};
  for (const auto& j : values) {
    auto bytes = pack(j);
    EXPECT_EQ(value_size(view(bytes)), bytes.size()) << j.dump().substr(0, 40);
    // A value followed by more: only the first is measured.
    auto twice = bytes;
    twice.insert(twice.end(), bytes.begin(), bytes.end());
    EXPECT_EQ(value_size(view(twice)), bytes.size());
  }
  // A map of more than 15 and of more than 65535 entries (map16, map32).
  Json big = Json::object();
  for (int i = 0; i < 70000; ++i) big["k" + std::to_string(i)] = i;
  auto bytes = pack(big);
  EXPECT_EQ(value_size(view(bytes)), bytes.size());
  EXPECT_EQ(as_int(*member(view(bytes), "k69999")), 69999);
}

TEST(MsgpackView, FindsMembersAndReadsStringsAndIntegers) {
  Json doc = Json::parse(R"({"metadata":{"name":"svc","generation":3,"labels":{"app":"a","n":1}},
                             "spec":{"ports":[{"port":80}]}})");
  auto bytes = pack(doc);
  auto b = view(bytes);
  EXPECT_EQ(as_string(*at(b, {"metadata", "name"})), "svc");
  EXPECT_EQ(as_int(*at(b, {"metadata", "generation"})), 3);
  EXPECT_FALSE(as_string(*at(b, {"metadata", "generation"})));
  EXPECT_FALSE(as_int(*at(b, {"metadata", "name"})));
  EXPECT_FALSE(at(b, {"metadata", "absent"}));
  EXPECT_FALSE(at(b, {"spec", "ports", "port"}));  // through an array: not a map
  EXPECT_EQ(Json::from_msgpack(value(*at(b, {"spec", "ports"}))), doc["spec"]["ports"]);
  std::map<std::string, std::string> labels;
  EXPECT_TRUE(for_each_member(*at(b, {"metadata", "labels"}), [&](std::string_view k, Bytes v) {
    if (auto s = as_string(v)) labels.emplace(k, *s);
    return true;
  }));
  EXPECT_EQ(labels, (std::map<std::string, std::string>{{"app", "a"}}));
  EXPECT_FALSE(for_each_member(*at(b, {"spec", "ports"}), [](std::string_view, Bytes) { return true; }));
  for (std::int64_t n : {0LL, 200LL, -5LL, -200LL, 70000LL, -70000LL, 5000000000LL, -5000000000LL})
    EXPECT_EQ(as_int(view(pack(Json(n)))), n);
  EXPECT_FALSE(as_int(view(pack(Json(18446744073709551615ULL)))));  // does not fit
}

TEST(MsgpackView, TruncatedOrLyingBuffersReadAsAbsentNeverPastTheirEnd) {
  auto bytes = pack(Json::parse(R"({"metadata":{"name":"svc","labels":{"app":"a"}},"spec":[1,2,3]})"));
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + n);
    EXPECT_EQ(value_size(view(cut)), 0u) << n;
    (void)at(view(cut), {"metadata", "labels", "app"});  // must not read past n (ASan checks)
  }
  // An array32 claiming four billion elements, a str32 claiming four gigabytes, the unused type byte.
  for (std::vector<std::uint8_t> lie : {std::vector<std::uint8_t>{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01},
                                        std::vector<std::uint8_t>{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'},
                                        std::vector<std::uint8_t>{0xdf, 0x00, 0x00, 0x00, 0x02, 0xa1, 'k'},
                                        std::vector<std::uint8_t>{0xc1}}) {
    EXPECT_EQ(value_size(view(lie)), 0u);
    EXPECT_FALSE(as_string(view(lie)));
    EXPECT_FALSE(member(view(lie), "k"));
  }
}

}  // namespace
}  // namespace slime::core::msgpack
