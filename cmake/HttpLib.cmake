# cpp-httplib from Debian (libcpp-httplib-dev), found once for every target that serves HTTP:
# registryd's metrics listener and registry-console. Defines the imported target
# PkgConfig::HTTPLIB (the library with the compile definitions it was built with).
if(NOT TARGET PkgConfig::HTTPLIB)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(HTTPLIB IMPORTED_TARGET GLOBAL cpp-httplib)
  if(NOT HTTPLIB_FOUND)
    message(FATAL_ERROR "cpp-httplib is needed: apt-get install libcpp-httplib-dev "
                        "(deploy/lib/packages.sh installs it)")
  endif()
endif()
