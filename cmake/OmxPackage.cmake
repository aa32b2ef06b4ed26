# Installation and the Debian package (`./run package`: cpack -G DEB). Laid out as a Debian
# admin expects: omx and its classic names (symlinks) in /usr/bin, omxd in /usr/sbin, man pages
# gzip'ed in /usr/share/man, bash completion for omx and every classic name, the systemd unit in
# /lib/systemd/system, /etc/default/omxd (a conffile), docs and the example map in
# /usr/share/doc/omx. Tests and benchmarks have no install rules and so are never packaged
# (tests/dist/package_test.sh checks with dpkg -c).
include(GNUInstallDirs)

set(OMX_DIST ${CMAKE_SOURCE_DIR}/dist)
set(OMX_DIST_OUT ${CMAKE_BINARY_DIR}/dist)

install(TARGETS omx RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS omxd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
# The classic names: symlinks made beside omx at build time (src/cli/CMakeLists.txt), installed
# as symlinks.
foreach(n ${OMX_CLASSIC_NAMES})
  install(FILES ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/${n} DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()

# Man pages: dist/man/manN/NAME.N, gzip'ed (-n: no name or time stamp, so builds are
# reproducible). A page that is a symlink in the tree (omx-run.1 -> mosrun.1) is installed as a
# symlink to the gzip'ed target, as Debian policy prefers over `.so` pages.
file(GLOB OMX_MAN_PAGES CONFIGURE_DEPENDS ${OMX_DIST}/man/man1/*.1 ${OMX_DIST}/man/man8/*.8)
set(OMX_MAN_OUT)
foreach(page ${OMX_MAN_PAGES})
  get_filename_component(name ${page} NAME)
  get_filename_component(section_dir ${page} DIRECTORY)
  get_filename_component(section_dir ${section_dir} NAME)
  set(out ${OMX_DIST_OUT}/man/${section_dir}/${name}.gz)
  if(IS_SYMLINK ${page})
    file(READ_SYMLINK ${page} target)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${OMX_DIST_OUT}/man/${section_dir}
      COMMAND ${CMAKE_COMMAND} -E create_symlink ${target}.gz ${out}
      DEPENDS ${page} VERBATIM)
  else()
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${OMX_DIST_OUT}/man/${section_dir}
      COMMAND sh -c "gzip -9n -c \"$1\" > \"$2\"" sh ${page} ${out}
      DEPENDS ${page} VERBATIM)
  endif()
  list(APPEND OMX_MAN_OUT ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/${section_dir})
endforeach()
add_custom_target(omx_man ALL DEPENDS ${OMX_MAN_OUT})

# Bash completion: one file for omx; bash-completion loads completions by command name, so each
# classic name gets a symlink to it.
set(OMX_COMPLETION_DIR ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions)
install(FILES ${OMX_DIST}/bash-completion/omx DESTINATION ${OMX_COMPLETION_DIR})
file(MAKE_DIRECTORY ${OMX_DIST_OUT}/bash-completion)
foreach(n ${OMX_CLASSIC_NAMES})
  file(CREATE_LINK omx ${OMX_DIST_OUT}/bash-completion/${n} SYMBOLIC)
  install(FILES ${OMX_DIST_OUT}/bash-completion/${n} DESTINATION ${OMX_COMPLETION_DIR})
endforeach()

# System files at their absolute Debian places (DESTDIR and cpack stage them).
install(FILES ${OMX_DIST}/omxd.service DESTINATION /lib/systemd/system)
install(FILES ${OMX_DIST}/omxd.default DESTINATION /etc/default RENAME omxd)

set(OMX_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/omx)
install(FILES README.md docs/design.md docs/exit-codes.md docs/fault-points.md
              docs/thesis-bench.md
        DESTINATION ${OMX_DOC_DIR})
install(FILES ${OMX_DIST}/openmosix.map.example DESTINATION ${OMX_DOC_DIR}/examples)

# The Debian package.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME omx)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "omx developers <omx@localhost>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "omx developers <omx@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "openMosix for today's Linux, in user space: process migration and load balancing")
# The long description; cpack indents it under the summary.
set(CPACK_PACKAGE_DESCRIPTION "omx turns a set of Linux machines into one system as openMosix did, \
without a kernel patch: mosrun starts an unmodified program that the cluster moves, while it \
runs, to less loaded and faster nodes; its home node serves the system calls that must happen \
there. Includes omxd (the node daemon, with a systemd unit) and the openMosix commands mosrun, \
migrate, mosctl, setpe, showmap and omdiscd.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # omx_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # Depends: computed by dpkg-shlibdeps
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
configure_file(${OMX_DIST}/debian/postinst ${OMX_DIST_OUT}/debian/postinst COPYONLY)
configure_file(${OMX_DIST}/debian/postrm ${OMX_DIST_OUT}/debian/postrm COPYONLY)
file(WRITE ${OMX_DIST_OUT}/debian/conffiles "/etc/default/omxd\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${OMX_DIST_OUT}/debian/conffiles ${OMX_DIST_OUT}/debian/postinst ${OMX_DIST_OUT}/debian/postrm)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
include(CPack)
