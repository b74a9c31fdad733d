# The Debian package (CPack): `cpack -G DEB --config build/CPackConfig.cmake` in the build folder
# gives registryd_<version>_amd64.deb with the binaries, the hardened systemd unit, the
# configuration in /etc/registryd (conffiles) and the maintainer scripts that create the
# `registryd` system user and its private state folders under /var/lib/registryd.
include(GNUInstallDirs)

install(TARGETS registryd registry-cli RUNTIME DESTINATION bin)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/registryd.service
        DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/registryd.json
        DESTINATION /etc/registryd)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/reference/offences.json
              ${PROJECT_SOURCE_DIR}/deploy/reference/courts.json
              ${PROJECT_SOURCE_DIR}/deploy/reference/retention.json
        DESTINATION /etc/registryd/reference)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/dev/policy.json
        DESTINATION share/registryd RENAME policy.example.json)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/reference/README.md
        DESTINATION share/doc/registryd RENAME reference.md)
install(FILES ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/security.md
        DESTINATION share/doc/registryd)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/copyright DESTINATION share/doc/registryd)
# Every config field with its default, for operators (the installed registryd.json shows them all).
install(FILES ${PROJECT_SOURCE_DIR}/proto/registry/v1/config.proto DESTINATION share/doc/registryd)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/pki/registry-pki.sh
        DESTINATION share/registryd/pki)
# Sourced by registry-pki.sh from its own folder, so not executable itself.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/pki/ca-lib.sh DESTINATION share/registryd/pki)

# Debian wants its changelog compressed, reproducibly (no name or time in the gzip header); the
# package is native (no Debian revision), so it is changelog.gz.
set(REGISTRY_DEB_CHANGELOG ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${REGISTRY_DEB_CHANGELOG}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/packaging
  COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/deploy/debian/changelog > ${REGISTRY_DEB_CHANGELOG}
  DEPENDS ${PROJECT_SOURCE_DIR}/deploy/debian/changelog)
add_custom_target(registry_deb_changelog ALL DEPENDS ${REGISTRY_DEB_CHANGELOG})
install(FILES ${REGISTRY_DEB_CHANGELOG} DESTINATION share/doc/registryd)

# The files of /etc that the package owns but an operator edits: dpkg keeps their changes.
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles
  "/etc/registryd/registryd.json\n"
  "/etc/registryd/reference/offences.json\n"
  "/etc/registryd/reference/courts.json\n"
  "/etc/registryd/reference/retention.json\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME registryd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_VENDOR "Kosovo Judicial Council")
set(CPACK_PACKAGE_CONTACT "KJC Registry Operations <registry-ops@gjyqesori-rks.org>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "KJC Registry Operations <registry-ops@gjyqesori-rks.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "registry of persons convicted of criminal offences against sexual integrity")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "The Kosovo Judicial Council's registry service (registryd) and its\ncommand-line client (registry-cli). Records are encrypted at rest, every\ncall is written to a tamper-evident audit log, and access is by client\ncertificate, role and purpose.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
  ${PROJECT_SOURCE_DIR}/deploy/debian/postrm
  ${PROJECT_BINARY_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
