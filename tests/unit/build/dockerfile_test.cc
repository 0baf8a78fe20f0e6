// parse_dockerfile against the behaviour of Docker's legacy builder (moby's
// frontend/dockerfile/parser and instructions packages, its parser test
// files, and the Dockerfile reference's examples).
#include <gtest/gtest.h>

#include "build/dockerfile.h"

using namespace berth;
using namespace berth::build;
using V = std::vector<std::string>;
using Flags = std::vector<std::pair<std::string, std::string>>;

namespace {

Dockerfile parse_ok(std::string_view text) {
  auto r = parse_dockerfile(text);
  EXPECT_TRUE(r.has_value()) << text << "\n-> " << (r ? "" : r.error().message);
  return r ? std::move(*r) : Dockerfile{};
}

// The one instruction after "FROM scratch".
Instruction second(std::string_view line) {
  auto df = parse_ok("FROM scratch\n" + std::string(line) + "\n");
  EXPECT_EQ(df.instructions.size(), 2u) << line;
  return df.instructions.size() == 2 ? df.instructions[1] : Instruction{};
}

std::string error_of(std::string_view text) {
  auto r = parse_dockerfile(text);
  if (r) return "(no error)";
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  return r.error().message;
}

}  // namespace

TEST(Dockerfile, KeywordsLinesAndOriginals) {
  auto df = parse_ok(
      "\n\n\nFROM brimstone/ubuntu:14.04\n\n\n# TORUN -v /var/run/docker.sock:/var/run/docker.sock\n\n\n"
      "ENV GOPATH \\\n/go\n\n\n\n# Install the packages\nrun apt-get update \\\n\t&& apt-get clean\n");
  ASSERT_EQ(df.instructions.size(), 3u);
  EXPECT_EQ(df.instructions[0].keyword, "FROM");
  EXPECT_EQ(df.instructions[0].line, 4);
  EXPECT_EQ(df.instructions[0].original, "FROM brimstone/ubuntu:14.04");
  EXPECT_EQ(df.instructions[1].keyword, "ENV");
  EXPECT_EQ(df.instructions[1].line, 10);
  EXPECT_EQ(df.instructions[1].original, "ENV GOPATH /go");
  EXPECT_EQ(df.instructions[1].args, (V{"GOPATH", "/go"}));
  EXPECT_EQ(df.instructions[2].keyword, "RUN");
  EXPECT_EQ(df.instructions[2].line, 16);
  EXPECT_EQ(df.instructions[2].original, "run apt-get update \t&& apt-get clean");
  EXPECT_EQ(df.escape, '\\');
  EXPECT_TRUE(df.warnings.empty());
}

TEST(Dockerfile, KeywordsAreCaseInsensitive) {
  for (auto kw : {"from", "FROM", "From", "fRoM"}) {
    auto df = parse_ok(std::string(kw) + " busybox\n");
    ASSERT_EQ(df.instructions.size(), 1u);
    EXPECT_EQ(df.instructions[0].keyword, "FROM");
    EXPECT_EQ(df.instructions[0].original, std::string(kw) + " busybox");
  }
  // Go's strings.ToLower maps the KELVIN SIGN to 'k': Docker reads this as WORKDIR.
  EXPECT_EQ(second("WOR\xE2\x84\xAA" "DIR /x").keyword, "WORKDIR");
}

TEST(Dockerfile, OriginalIsTrimmedAndJoined) {
  auto df = parse_ok("  FROM a   \nRUN echo a \\\n  b   \n");
  EXPECT_EQ(df.instructions[0].original, "FROM a");
  EXPECT_EQ(df.instructions[1].original, "RUN echo a   b");
  EXPECT_EQ(df.instructions[1].args, V{"echo a   b"});
}

// moby's testfiles/continueIndent, with today's rule that a comment line
// inside a continuation is dropped instead of ending it.
TEST(Dockerfile, Continuations) {
  auto df = parse_ok(
      "FROM ubuntu:14.04\n\nRUN echo hello\\\n  world\\\n  goodnight  \\\n  moon\\\n  light\\\nning\n"
      "RUN echo hello  \\\n  world\nRUN echo hello  \\\nworld\nRUN echo hello \\\ngoodbye\\\nfrog\n"
      "RUN echo hi \\\n \\\n world \\\n\\\n good\\\n\\\nnight\nRUN echo goodbye\\\nfrog\n"
      "RUN echo good\\\nbye\\\nfrog\n\nRUN echo hello \\\n# this is a comment inside\n"
      "RUN echo this is some more useful stuff\n");
  V runs;
  for (size_t i = 1; i < df.instructions.size(); ++i) runs.push_back(df.instructions[i].args.at(0));
  EXPECT_EQ(runs, (V{"echo hello  world  goodnight    moon  lightning", "echo hello    world", "echo hello  world",
                     "echo hello goodbyefrog", "echo hi   world  goodnight", "echo goodbyefrog",
                     "echo goodbyefrog", "echo hello RUN echo this is some more useful stuff"}));
}

TEST(Dockerfile, ContinuationDetails) {
  struct Case {
    const char* text;
    const char* run;
  } cases[] = {
      {"RUN a \\  \t\nb", "a b"},                  // blanks after the escape still continue
      {"RUN a \\\n  # comment\n  b", "a   b"},     // an indented comment line is a comment too
      {"RUN a \\\n#c1\n#c2\nb", "a b"},
      {"RUN echo \\", "echo"},                      // continued past the end
      {"RUN a\\\\\nb", "a\\b"},                     // "\\" at the end still continues (as Docker)
      {"RUN a\r\nRUN b", "a"},                      // CRLF
      {"RUN a \\\r\n b", "a  b"},
      {"RUN a \\ x", "a \\ x"},                    // not at the end: no continuation
  };
  for (const auto& c : cases) {
    auto df = parse_ok("FROM scratch\n" + std::string(c.text));
    ASSERT_GE(df.instructions.size(), 2u) << c.text;
    EXPECT_EQ(df.instructions[1].args, V{c.run}) << c.text;
  }
}

TEST(Dockerfile, EmptyContinuationLineWarns) {
  auto df = parse_ok("FROM busybox\nRUN foo \\\n\n   \nbar\nRUN ok\n");
  ASSERT_EQ(df.instructions.size(), 3u);
  EXPECT_EQ(df.instructions[1].args, V{"foo bar"});
  EXPECT_EQ(df.instructions[2].line, 6);
  EXPECT_EQ(df.warnings, (V{"[WARNING]: Empty continuation line found in:\n    RUN foo bar",
                            "[WARNING]: Empty continuation lines will become errors in a future release."}));
}

TEST(Dockerfile, CommentsBlankLinesBom) {
  auto df = parse_ok("\xEF\xBB\xBF# comment\n\n  # indented comment\nFROM a\n\t\nRUN echo # not a comment\n");
  ASSERT_EQ(df.instructions.size(), 2u);
  EXPECT_EQ(df.instructions[0].line, 4);
  EXPECT_EQ(df.instructions[1].line, 6);
  EXPECT_EQ(df.instructions[1].args, V{"echo # not a comment"});
  // A BOM counts only at the very start.
  EXPECT_EQ(error_of("FROM a\n\xEF\xBB\xBFRUN x\n"), "dockerfile parse error line 2: unknown instruction: \xEF\xBB\xBFRUN");
}

TEST(Dockerfile, EscapeDirective) {
  auto df = parse_ok("# escape=`\n\nFROM microsoft/nanoserver\nCOPY testfile.txt c:\\\nRUN dir c:\\\n"
                     "RUN echo a `\n    b\nENV a=b` c\n");
  EXPECT_EQ(df.escape, '`');
  ASSERT_EQ(df.instructions.size(), 5u);
  EXPECT_EQ(df.instructions[1].args, (V{"testfile.txt", "c:\\"}));
  EXPECT_EQ(df.instructions[2].args, V{"dir c:\\"});
  EXPECT_EQ(df.instructions[3].args, V{"echo a     b"});
  EXPECT_EQ(df.instructions[4].args, (V{"a", "b` c"}));

  // Forms the reference allows: white space around, any case, leading blanks.
  for (auto d : {"#escape=`", "# escape =`", "#\tescape= `", "# ESCAPE = `  ", "  # eScApE=`"})
    EXPECT_EQ(parse_ok(std::string(d) + "\nFROM a\n").escape, '`') << d;
  // After anything else it is a comment.
  for (auto t : {"FROM a\n# escape=`\n", "\n# escape=`\nFROM a\n", "# hello\n# escape=`\nFROM a\n",
                 "# unknown=x\n# escape=`\nFROM a\n", "# escape=\nFROM a\n"})
    EXPECT_EQ(parse_ok(t).escape, '\\') << t;
  // syntax is a directive too (ignored by the legacy builder).
  EXPECT_EQ(parse_ok("# syntax=docker/dockerfile:1\n# escape=`\nFROM a\n").escape, '`');

  EXPECT_EQ(error_of("# escape=`\n# escape=\\\nFROM a\n"),
            "dockerfile parse error line 2: only one escape parser directive can be used");
  EXPECT_EQ(error_of("# syntax=a\n# SYNTAX=b\nFROM a\n"),
            "dockerfile parse error line 2: only one syntax parser directive can be used");
  EXPECT_EQ(error_of("# escape=x\nFROM a\n"),
            "dockerfile parse error line 1: invalid escape token 'x' does not match ` or \\");
  EXPECT_EQ(error_of("# escape= \nFROM a\n"),
            "dockerfile parse error line 1: invalid escape token ' ' does not match ` or \\");
}

TEST(Dockerfile, ExecAndShellForms) {
  struct Case {
    const char* line;
    bool json;
    V args;
  } cases[] = {
      {R"(CMD ["echo", "hi"])", true, {"echo", "hi"}},
      {R"(RUN [ "a b" ,"c"]  )", true, {"a b", "c"}},
      {"ENTRYPOINT []", true, {}},
      {R"(CMD [ "\/usr\\\"/bin/znc", "-f", "-r" ])", true, {"/usr\\\"/bin/znc", "-f", "-r"}},
      {R"(CMD ["\u00e9\ud83d\ude00", "\ud800x", "\t\n"])", true, {"\xC3\xA9\xF0\x9F\x98\x80", "\xEF\xBF\xBDx", "\t\n"}},
      {"CMD [\"\xff\"]", true, {"\xEF\xBF\xBD"}},          // invalid UTF-8 decoded as Go does
      {"CMD echo \"a  b\" $HOME", false, {"echo \"a  b\" $HOME"}},
      {"CMD [echo]", false, {"[echo]"}},                  // malformed JSON: shell form
      {R"(CMD ["a" "b"])", false, {R"(["a" "b"])"}},
      {R"(CMD ["a"] b)", false, {R"(["a"] b)"}},
      {"CMD ['a']", false, {"['a']"}},
      {"RUN", false, {}},
      {"SHELL [\"/bin/bash\", \"-c\"]", true, {"/bin/bash", "-c"}},
  };
  for (const auto& c : cases) {
    auto in = second(c.line);
    EXPECT_EQ(in.json, c.json) << c.line;
    EXPECT_EQ(in.args, c.args) << c.line;
  }
  for (auto line : {R"(CMD ["a", 1])", R"(RUN [null])", R"(ENTRYPOINT [["a"]])", R"(COPY ["a", {}])",
                    R"(HEALTHCHECK CMD ["a", true])"})
    EXPECT_EQ(error_of("FROM a\n" + std::string(line)),
              "dockerfile parse error line 2: when using JSON array syntax, arrays must be comprised of strings only")
        << line;
  EXPECT_EQ(error_of("FROM a\nSHELL /bin/sh -c"), "dockerfile parse error line 2: SHELL requires the arguments to be in JSON form");
  EXPECT_EQ(error_of("FROM a\nSHELL []"), "dockerfile parse error line 2: SHELL requires at least one argument");
  EXPECT_EQ(error_of("FROM a\nSHELL"), "dockerfile parse error line 2: SHELL requires at least one argument");
}

TEST(Dockerfile, CopyAddVolumeWords) {
  struct Case {
    const char* line;
    bool json;
    V args;
  } cases[] = {
      {"COPY a b /c/", false, {"a", "b", "/c/"}},
      {"COPY  a\t\tb", false, {"a", "b"}},
      // Quotes do not group words in the shell form (Docker: each word is
      // expanded alone, so `"a b" c` fails there); they stay for expansion.
      {R"(COPY "a b" c)", false, {"\"a", "b\"", "c"}},
      {R"(ADD \conf\\" /.znc)", false, {"\\conf\\\\\"", "/.znc"}},
      {R"(COPY ["a b", "c"])", true, {"a b", "c"}},
      {R"(ADD ["x"] y)", false, {"[\"x\"]", "y"}},
      {"VOLUME /a /b", false, {"/a", "/b"}},
      {R"(VOLUME ["/a", " /b "])", true, {"/a", "/b"}},
      {"COPY --from=build --chown=1:1 a b", false, {"a", "b"}},
  };
  for (const auto& c : cases) {
    auto in = second(c.line);
    EXPECT_EQ(in.json, c.json) << c.line;
    EXPECT_EQ(in.args, c.args) << c.line;
  }
  EXPECT_EQ(error_of("FROM a\nCOPY a"), "dockerfile parse error line 2: COPY requires at least two arguments, but only one "
                                        "was provided. Destination could not be determined.");
  EXPECT_EQ(error_of("FROM a\nADD [\"a\"]"), "dockerfile parse error line 2: ADD requires at least two arguments, but "
                                            "only one was provided. Destination could not be determined.");
  EXPECT_EQ(error_of("FROM a\nVOLUME"), "dockerfile parse error line 2: VOLUME requires at least one argument");
  EXPECT_EQ(error_of("FROM a\nVOLUME [\" \"]"), "dockerfile parse error line 2: VOLUME specified can not be an empty string");
}

TEST(Dockerfile, EnvAndLabel) {
  struct Case {
    const char* line;
    V args;
  } cases[] = {
      {"ENV a=b", {"a", "b"}},
      {R"(ENV a=b c="d e" f=g\ h i='j k' l=)", {"a", "b", "c", "\"d e\"", "f", "g\\ h", "i", "'j k'", "l", ""}},
      {"ENV a b c  d", {"a", "b c  d"}},                  // legacy form: the rest of the line is the value
      {R"(ENV a "b c")", {"a", "\"b c\""}},
      {R"(ENV a="b\"c" d)", {}},                          // (error, below)
      {R"(LABEL "com.example.vendor"="ACME Inc" version=1.0)", {"\"com.example.vendor\"", "\"ACME Inc\"", "version", "1.0"}},
      {R"(LABEL multi.label1="value1" \)" "\n" R"(      other="value3")", {"multi.label1", "\"value1\"", "other", "\"value3\""}},
      {"ENV x=\"a\\\"b\" y=$HOME", {"x", "\"a\\\"b\"", "y", "$HOME"}},
      {"ENV a=b\\\v", {"a", "b"}},                        // an escape at the very end is dropped
  };
  for (const auto& c : cases) {
    if (c.args.empty()) continue;
    EXPECT_EQ(second(c.line).args, c.args) << c.line;
  }
  EXPECT_EQ(error_of("FROM a\nENV a=\"b\\\"c\" d"),
            "dockerfile parse error line 2: Syntax error - can't find = in \"d\". Must be of the form: name=value");
  EXPECT_EQ(error_of("FROM a\nENV a=b c"),
            "dockerfile parse error line 2: Syntax error - can't find = in \"c\". Must be of the form: name=value");
  EXPECT_EQ(error_of("FROM a\nENV a"), "dockerfile parse error line 2: ENV must have two arguments");
  EXPECT_EQ(error_of("FROM a\nLABEL a"), "dockerfile parse error line 2: LABEL must have two arguments");
  EXPECT_EQ(error_of("FROM a\nENV =b"), "dockerfile parse error line 2: ENV names can not be blank");
  EXPECT_EQ(error_of("FROM a\nLABEL a=b =c"), "dockerfile parse error line 2: LABEL names can not be blank");
  EXPECT_EQ(error_of("FROM a\nENV"), "dockerfile parse error line 2: ENV requires at least one argument");
  EXPECT_EQ(error_of("FROM a\nLABEL"), "dockerfile parse error line 2: LABEL requires at least one argument");
  EXPECT_EQ(error_of("FROM a\nENV --x=1 a=b"), "dockerfile parse error line 2: Unknown flag: x");
}

TEST(Dockerfile, Arg) {
  EXPECT_EQ(second("ARG a").args, V{"a"});
  EXPECT_EQ(second(R"(ARG a b=c d="e f" g='h i')").args, (V{"a", "b=c", "d=\"e f\"", "g='h i'"}));
  EXPECT_EQ(second("ARG a=").args, V{"a="});
  // ARG before FROM is the file's business (meta arguments), not an error.
  auto df = parse_ok("ARG BASE=busybox\nFROM ${BASE}\n");
  EXPECT_EQ(df.instructions[0].keyword, "ARG");
  EXPECT_EQ(df.instructions[1].args, V{"${BASE}"});
  EXPECT_EQ(error_of("FROM a\nARG =x"), "dockerfile parse error line 2: ARG names can not be blank");
  EXPECT_EQ(error_of("FROM a\nARG"), "dockerfile parse error line 2: ARG requires at least one argument");
  // Docker reads no flags for ARG (nor STOPSIGNAL): they are kept, not refused.
  EXPECT_EQ(second("ARG --x=1 a").flags, (Flags{{"x", "1"}}));
}

TEST(Dockerfile, From) {
  EXPECT_EQ(parse_ok("FROM busybox").instructions[0].args, V{"busybox"});
  EXPECT_EQ(parse_ok("FROM busybox:1 AS build-1.x_y").instructions[0].args, (V{"busybox:1", "AS", "build-1.x_y"}));
  EXPECT_EQ(parse_ok("FROM a as B").instructions[0].args, (V{"a", "as", "B"}));
  auto p = parse_ok("FROM --platform=$BUILDPLATFORM golang AS build").instructions[0];
  EXPECT_EQ(p.flags, (Flags{{"platform", "$BUILDPLATFORM"}}));
  EXPECT_EQ(p.args, (V{"golang", "AS", "build"}));
  EXPECT_EQ(error_of("FROM"), "dockerfile parse error line 1: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM a b"), "dockerfile parse error line 1: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM a AS b c"), "dockerfile parse error line 1: FROM requires either one or three arguments");
  EXPECT_EQ(error_of("FROM a AS 1b"),
            "dockerfile parse error line 1: invalid name for build stage: \"1b\", name can't start with a number or "
            "contain symbols");
  EXPECT_EQ(error_of("FROM a AS b$c"),
            "dockerfile parse error line 1: invalid name for build stage: \"b$c\", name can't start with a number or "
            "contain symbols");
  EXPECT_EQ(error_of("FROM --foo=x a"), "dockerfile parse error line 1: Unknown flag: foo");
}

TEST(Dockerfile, Flags) {
  auto c = second(R"(COPY --from=build --chown="a b" --chmod=755 a b)");
  EXPECT_EQ(c.flags, (Flags{{"from", "build"}, {"chown", "a b"}, {"chmod", "755"}}));
  auto r = second("RUN --mount=type=cache,target=/x --mount=type=tmpfs,target=/y --network=none echo --x");
  EXPECT_EQ(r.flags, (Flags{{"mount", "type=cache,target=/x"}, {"mount", "type=tmpfs,target=/y"}, {"network", "none"}}));
  EXPECT_EQ(r.args, V{"echo --x"});
  EXPECT_EQ(second("RUN -- --help").args, V{"--help"});   // "--" ends the flags
  EXPECT_EQ(second("RUN -x").args, V{"-x"});
  EXPECT_EQ(second("COPY --from= a b").flags, (Flags{{"from", ""}}));

  struct Case {
    const char* line;
    const char* error;
  } cases[] = {
      {"COPY --from build a b", "Missing a value on flag: from"},
      {"COPY --from=a --from=b a b", "Duplicate flag specified: from"},
      {"COPY --link a b", "Unknown flag: link"},
      {"ADD --from=x a b", "Unknown flag: from"},
      {"RUN --network=a --network=b x", "Duplicate flag specified: network"},
      {"RUN --x=1 echo", "Unknown flag: x"},
      {"RUN --mount x", "Missing a value on flag: mount"},
      {"CMD --x=1 a", "Unknown flag: x"},
      {"WORKDIR --x=1 /a", "Unknown flag: x"},
      {"ONBUILD --x=1 RUN a", "Unknown flag: x"},
  };
  for (const auto& e : cases)
    EXPECT_EQ(error_of("FROM a\n" + std::string(e.line)), "dockerfile parse error line 2: " + std::string(e.error)) << e.line;
}

TEST(Dockerfile, SingleArgumentKeywords) {
  EXPECT_EQ(second("WORKDIR /a b").args, V{"/a b"});
  EXPECT_EQ(second("USER 1000:1000").args, V{"1000:1000"});
  EXPECT_EQ(second("STOPSIGNAL SIGKILL").args, V{"SIGKILL"});
  EXPECT_EQ(second("MAINTAINER Erik \\\\Hollensbe <erik@hollensbe.org>\\\"").args,
            V{"Erik \\\\Hollensbe <erik@hollensbe.org>\\\""});
  EXPECT_EQ(second("EXPOSE 80 443/udp $P").args, (V{"80", "443/udp", "$P"}));
  for (auto kw : {"WORKDIR", "USER", "STOPSIGNAL", "MAINTAINER"})
    EXPECT_EQ(error_of("FROM a\n" + std::string(kw)),
              "dockerfile parse error line 2: " + std::string(kw) + " requires exactly one argument");
  EXPECT_EQ(error_of("FROM a\nEXPOSE"), "dockerfile parse error line 2: EXPOSE requires at least one argument");
}

TEST(Dockerfile, Healthcheck) {
  auto h = second("HEALTHCHECK --interval=5m --timeout=3s --start-period=1s --start-interval=2s --retries=3 \\\n"
                  "  CMD curl -f http://localhost/ || exit 1");
  EXPECT_EQ(h.flags, (Flags{{"interval", "5m"}, {"timeout", "3s"}, {"start-period", "1s"}, {"start-interval", "2s"},
                            {"retries", "3"}}));
  EXPECT_EQ(h.args, (V{"CMD", "curl -f http://localhost/ || exit 1"}));
  EXPECT_FALSE(h.json);
  auto j = second(R"(HEALTHCHECK cmd ["curl", "-f", "x"])");
  EXPECT_TRUE(j.json);
  EXPECT_EQ(j.args, (V{"CMD", "curl", "-f", "x"}));
  EXPECT_EQ(second("HEALTHCHECK none").args, V{"NONE"});
  EXPECT_EQ(second("HEALTHCHECK --whatever NONE").args, V{"NONE"});  // NONE reads no flags

  struct Case {
    const char* line;
    const char* error;
  } cases[] = {
      {"HEALTHCHECK", "HEALTHCHECK requires at least one argument"},
      {"HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"},
      {"HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"},
      {"HEALTHCHECK CMD []", "Missing command after HEALTHCHECK CMD"},
      {"HEALTHCHECK FOO x", "Unknown type \"FOO\" in HEALTHCHECK (try CMD)"},
      {"HEALTHCHECK --foo=1 CMD a", "Unknown flag: foo"},
      {"HEALTHCHECK --interval=x CMD a", "time: invalid duration \"x\""},
      {"HEALTHCHECK --timeout=0s CMD a", "Interval \"timeout\" cannot be less than 1ms"},
      {"HEALTHCHECK --start-period=500us CMD a", "Interval \"start-period\" cannot be less than 1ms"},
      {"HEALTHCHECK --retries=0 CMD a", "--retries must be at least 1 (not 0)"},
      {"HEALTHCHECK --retries=-2 CMD a", "--retries must be at least 1 (not -2)"},
      {"HEALTHCHECK --retries=x CMD a", "strconv.ParseInt: parsing \"x\": invalid syntax"},
      {"HEALTHCHECK --retries=3000000000 CMD a", "strconv.ParseInt: parsing \"3000000000\": value out of range"},
  };
  for (const auto& e : cases)
    EXPECT_EQ(error_of("FROM a\n" + std::string(e.line)), "dockerfile parse error line 2: " + std::string(e.error)) << e.line;
}

TEST(Dockerfile, Onbuild) {
  auto o = second("ONBUILD   copy --from=x a b  ");
  EXPECT_EQ(o.keyword, "ONBUILD");
  EXPECT_EQ(o.original, "ONBUILD   copy --from=x a b");
  EXPECT_TRUE(o.args.empty());
  ASSERT_TRUE(o.child);
  EXPECT_EQ(o.child->keyword, "COPY");
  EXPECT_EQ(o.child->original, "copy --from=x a b");
  EXPECT_EQ(o.child->flags, (Flags{{"from", "x"}}));
  EXPECT_EQ(o.child->args, (V{"a", "b"}));
  EXPECT_EQ(o.child->line, 2);

  auto r = second(R"(ONBUILD RUN ["a", "b"])");
  ASSERT_TRUE(r.child);
  EXPECT_TRUE(r.child->json);
  // A trigger is checked when it runs (Docker accepts an unknown one here).
  EXPECT_EQ(second("ONBUILD RUNN x").child->keyword, "RUNN");
  EXPECT_EQ(second("ONBUILD COPY a").child->args, V{"a"});

  EXPECT_EQ(error_of("FROM a\nONBUILD"), "dockerfile parse error line 2: ONBUILD requires at least one argument");
  EXPECT_EQ(error_of("FROM a\nONBUILD ONBUILD RUN x"),
            "dockerfile parse error line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  EXPECT_EQ(error_of("FROM a\nONBUILD from x"), "dockerfile parse error line 2: FROM isn't allowed as an ONBUILD trigger");
  EXPECT_EQ(error_of("FROM a\nONBUILD MAINTAINER x"),
            "dockerfile parse error line 2: MAINTAINER isn't allowed as an ONBUILD trigger");
  // The trigger's line parser runs now, even through a chain.
  EXPECT_EQ(error_of("FROM a\nONBUILD ENV a"), "dockerfile parse error line 2: ENV must have two arguments");
  EXPECT_EQ(error_of("FROM a\nONBUILD ONBUILD ONBUILD ENV a"), "dockerfile parse error line 2: ENV must have two arguments");
  std::string chain = "FROM a\n";
  for (int i = 0; i < 8000; ++i) chain += "ONBUILD ";
  chain += "RUN x\n";
  EXPECT_EQ(error_of(chain), "dockerfile parse error line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");

  // The trigger text, parsed again as Docker does when a child build runs it.
  auto again = parse_dockerfile(o.child->original);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->instructions.at(0).flags, o.child->flags);
}

TEST(Dockerfile, InstructionCopiesDeeply) {
  auto o = second("ONBUILD RUN a");
  Instruction copy = o;
  ASSERT_TRUE(copy.child);
  EXPECT_NE(copy.child.get(), o.child.get());
  EXPECT_EQ(copy.child->args, o.child->args);
  Instruction assigned;
  assigned = o;
  copy.child->args[0] = "changed";
  EXPECT_EQ(assigned.child->args, V{"a"});
  EXPECT_EQ(o.child->args, V{"a"});
  assigned = assigned;  // self-assignment keeps it
  ASSERT_TRUE(assigned.child);
  EXPECT_EQ(assigned.child->args, V{"a"});
}

TEST(Dockerfile, Errors) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "the Dockerfile cannot be empty"},
      {"# just a comment\n\n", "file with no instructions"},
      {"\xEF\xBB\xBF", "file with no instructions"},
      {"FROM a\nRUNN x", "dockerfile parse error line 2: unknown instruction: RUNN"},
      {"FROM a\nrunn x", "dockerfile parse error line 2: unknown instruction: RUNN"},
      {"FROM a\n\\\n", "dockerfile parse error line 2: unknown instruction: "},
      // Every line is parsed before any is checked, as in Docker.
      {"FROM a\nRUNN x\nENV b", "dockerfile parse error line 3: ENV must have two arguments"},
      {"FROM a\nCOPY x\n\nRUN \\\n  [1]", "dockerfile parse error line 4: when using JSON array syntax, arrays must be "
                                          "comprised of strings only"},
      {"FROM a\nCOPY x\nRUNN", "dockerfile parse error line 2: COPY requires at least two arguments, but only one was "
                               "provided. Destination could not be determined."},
  };
  for (const auto& c : cases) EXPECT_EQ(error_of(c.text), c.error) << c.text;

  std::string long_line = "FROM a\nRUN " + std::string(70000, 'x') + "\n";
  EXPECT_EQ(error_of(long_line), "dockerfile line greater than max allowed size of 65535");
  EXPECT_EQ(error_of(std::string(70000, 'x')), "file with no instructions");
  std::string just_fits = "FROM a\nRUN " + std::string(65535 - 4, 'x') + "\n";
  EXPECT_EQ(parse_ok(just_fits).instructions.size(), 2u);
}

TEST(Dockerfile, ParseIsDeterministic) {
  const char* text = "# escape=`\nFROM a AS b\nONBUILD RUN x\nCOPY --from=b [\"a\", \"b\"]\n";
  auto a = parse_ok(text), b = parse_ok(text);
  ASSERT_EQ(a.instructions.size(), b.instructions.size());
  for (size_t i = 0; i < a.instructions.size(); ++i) {
    EXPECT_EQ(a.instructions[i].original, b.instructions[i].original);
    EXPECT_EQ(a.instructions[i].args, b.instructions[i].args);
    EXPECT_EQ(a.instructions[i].flags, b.instructions[i].flags);
  }
}
