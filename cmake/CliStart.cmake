# How the kreg CLI is linked. By default plainly, as libkreg is: the
# pkg-config libraries of jansson, libcurl and libyaml.
#
# -DKREG_CLI_FAST_START=ON (default OFF) links it for a fast start instead,
# as the kreg-vs-kubectl benchmark is built (bench/README.md, "The CLI's
# link"). A `kreg get` is a process of ~6 ms of which ~4.5 ms is the
# dynamic loader bringing in Debian's libcurl and its ~30 libraries;
# libkreg itself is not affected by any of this.
#
# - jansson and libyaml are linked statically into the CLI when their
#   archives exist: two fewer objects to map and relocate (-3%).
# - libcurl's own dependencies are named before libcurl, largest first.
#   Debian links its libraries with -z now, so the loader resolves some
#   8,000 symbol references at start-up, each by walking the global scope
#   in load order; libcrypto alone (pulled in by libssh2) binds ~3,400 to
#   itself from 20th place. Largest first puts the libraries most symbols
#   bind to near the front; the set of libraries loaded is the same
#   (-5%). The list is read off the libcurl being linked with ldd at
#   configure time; where ldd is missing or says nothing, nothing changes.
#   The CLI then needs those libraries by name, as libcurl does today: if
#   a libcurl upgrade drops one of them, rebuild kreg. This is why it is
#   not the default: a kreg built so breaks on a libcurl update that a
#   plainly linked one rides out.
# - KREG_CLI_FAST_START is defined for the CLI's sources, which then ask
#   libssh2 (found with dlsym) not to set up OpenSSL (registry/tools/kreg.c).
#
# Neither applies to sanitizer or fuzzer builds.
#
# kreg_cli_link(TARGET CURL_LIBRARY): TARGET gets the libraries and, with
# the fast start, the link options; CURL_LIBRARY is the libcurl file being
# linked. TARGET must not link libkreg's shared or static library targets.
option(KREG_CLI_FAST_START
       "Link the kreg CLI for a fast start (see cmake/CliStart.cmake)" OFF)

# The static archive beside the shared library pkg-config resolved for
# a dependency (libjansson.so -> libjansson.a), in *@p out, or "".
function(kreg_archive_beside out linked)
    set(${out} "" PARENT_SCOPE)
    foreach(lib ${linked})
        # (CMAKE_MATCH_1 is set only once the MATCHES has run)
        if(lib MATCHES "^(.+)\\.so$")
            set(archive "${CMAKE_MATCH_1}.a")
            if(EXISTS "${archive}")
                set(${out} "${archive}" PARENT_SCOPE)
                return()
            endif()
        endif()
    endforeach()
endfunction()

# libcurl's dependencies (the libraries ldd lists for @p curl), largest
# first, in *@p out; "" when ldd is missing or fails.
function(kreg_curl_deps_by_size out curl)
    set(${out} "" PARENT_SCOPE)
    find_program(KREG_LDD ldd)
    if(NOT KREG_LDD OR NOT EXISTS "${curl}")
        return()
    endif()
    execute_process(COMMAND ${KREG_LDD} ${curl} OUTPUT_VARIABLE deps
                    RESULT_VARIABLE ldd_rc ERROR_QUIET)
    if(NOT ldd_rc EQUAL 0)
        return()
    endif()
    # lines "\tname => /path/to/lib.so.N (0x...)"; others are skipped
    string(REPLACE "\n" ";" lines "${deps}")
    set(sized "")
    foreach(line ${lines})
        if(line MATCHES "=> (/.+) \\(0x[0-9a-fA-F]+\\)$")
            set(p "${CMAKE_MATCH_1}")
            if(EXISTS "${p}" AND NOT IS_DIRECTORY "${p}")
                file(SIZE "${p}" size)
                # zero-padded so that a string sort is numeric
                string(LENGTH "${size}" n)
                math(EXPR pad "12 - ${n}")
                string(REPEAT "0" ${pad} zeros)
                list(APPEND sized "${zeros}${size}|${p}")
            endif()
        endif()
    endforeach()
    list(SORT sized ORDER DESCENDING)
    set(first "")
    foreach(e ${sized})
        string(REGEX REPLACE "^[0-9]+\\|" "" p "${e}")
        list(APPEND first "${p}")
    endforeach()
    set(${out} "${first}" PARENT_SCOPE)
endfunction()

function(kreg_cli_link tgt curl)
    if(NOT KREG_CLI_FAST_START OR KREG_SANITIZE OR KREG_FUZZ)
        target_link_libraries(${tgt} PRIVATE PkgConfig::JANSSON PkgConfig::CURL
                              PkgConfig::YAML Threads::Threads)
        return()
    endif()
    target_compile_definitions(${tgt} PRIVATE KREG_CLI_FAST_START=1)
    set(json PkgConfig::JANSSON)
    set(yaml PkgConfig::YAML)
    kreg_archive_beside(json_a "${JANSSON_LINK_LIBRARIES}")
    kreg_archive_beside(yaml_a "${YAML_LINK_LIBRARIES}")
    if(json_a AND yaml_a)
        set(json ${json_a})
        set(yaml ${yaml_a})
    endif()
    kreg_curl_deps_by_size(first "${curl}")
    if(first)
        list(LENGTH first nfirst)
        message(STATUS "kreg CLI: fast start, ${nfirst} of libcurl's "
                       "libraries named first, largest first")
        target_link_libraries(${tgt} PRIVATE "-Wl,--push-state,--no-as-needed"
                              ${first} "-Wl,--pop-state")
    endif()
    target_link_libraries(${tgt} PRIVATE ${json} ${yaml} PkgConfig::CURL
                          Threads::Threads)
endfunction()
