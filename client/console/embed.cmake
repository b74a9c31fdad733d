# Turns files into a C++ source at build time, so that registry-console serves its pages' assets
# and message catalogs from its own binary (nothing is read from disk or fetched at run time).
#   cmake -DOUTPUT=out.cc -DFILES="a|b" -DBASE=dir -P embed.cmake
# Each file becomes an entry {name relative to BASE, bytes, size} of kEmbeddedFiles
# (client/console/embedded.h).
string(REPLACE "|" ";" FILES "${FILES}")
set(content "// Generated from the files below by client/console/embed.cmake; do not edit.\n")
string(APPEND content "#include \"client/console/embedded.h\"\n\nnamespace registry::console {\nnamespace {\n")
set(index 0)
set(table "")
foreach(file IN LISTS FILES)
  file(READ "${file}" hex HEX)
  file(SIZE "${file}" size)
  file(RELATIVE_PATH name "${BASE}" "${file}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  string(APPEND content "const unsigned char kFile${index}[] = {\n${bytes}0x00};\n")
  string(APPEND table "    {\"${name}\", reinterpret_cast<const char*>(kFile${index}), ${size}},\n")
  math(EXPR index "${index} + 1")
endforeach()
string(APPEND content "}  // namespace\n\nconst EmbeddedFile kEmbeddedFiles[] = {\n${table}};\n")
string(APPEND content "const size_t kEmbeddedFileCount = ${index};\n\n}  // namespace registry::console\n")
file(WRITE "${OUTPUT}.tmp" "${content}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
