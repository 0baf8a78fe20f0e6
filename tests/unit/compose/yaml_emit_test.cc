// The YAML writer: what it writes must parse back to the same document.
#include <gtest/gtest.h>

#include "compose/tree.h"
#include "compose/yaml_emit.h"

namespace berth::compose {
namespace {

TEST(YamlEmit, AKeyLongerThanYamlAllowsImplicitlyIsWrittenExplicitly) {
  // Found by fuzz.compose_load: a 1262-character x- key made the output unreadable.
  const std::string long_key = "x-" + std::string(1100, 'k') + "\x03";
  nlohmann::ordered_json doc;
  doc["name"] = "proj";
  doc[long_key] = "value";
  doc["services"]["web"][long_key]["inner"] = "v";
  doc["list"] = nlohmann::ordered_json::array({nlohmann::ordered_json{{long_key, 1}, {"b", 2}}});
  const std::string text = emit_yaml(doc);
  auto back = parse_yaml(text, "emitted");
  ASSERT_TRUE(back) << back.error().message << "\n" << text;
  ASSERT_TRUE(back->is_mapping());
  ASSERT_EQ(back->entries.size(), 4u);
  EXPECT_EQ(back->entries[1].first, long_key);
  EXPECT_EQ(back->entries[1].second.scalar, "value");
  const Node& web = back->entries[2].second.entries[0].second;
  EXPECT_EQ(web.entries[0].first, long_key);
  EXPECT_EQ(web.entries[0].second.entries[0].second.scalar, "v");
  const Node& item = back->entries[3].second.items[0];
  EXPECT_EQ(item.entries[0].first, long_key);
  EXPECT_EQ(item.entries[1].first, "b");
}

TEST(YamlEmit, ShortKeysStayImplicit) {
  nlohmann::ordered_json doc;
  doc["a"] = "b";
  EXPECT_EQ(emit_yaml(doc), "a: b\n");
}

}  // namespace
}  // namespace berth::compose
