# How the kreg CLI is linked so that it starts fast (bench/README.md,
# "What a kreg get costs"). A `kreg get` is a process of ~6 ms of which
# ~4.5 ms is the dynamic loader bringing in Debian's libcurl and its ~30
# libraries; libkreg itself is not affected by any of this.
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
#
# kreg_cli_fast_start(TARGET CURL_LIBRARY): TARGET gets the link options;
# it must not link libkreg's shared or static library targets itself.
option(KREG_CLI_FAST_START
       "Link the kreg CLI for a fast start (see cmake/CliStart.cmake)" ON)

function(kreg_cli_fast_start tgt curl)
    set(json PkgConfig::JANSSON)
    set(yaml PkgConfig::YAML)
    set(first "")
    if(KREG_CLI_FAST_START AND NOT KREG_SANITIZE AND NOT KREG_FUZZ)
        find_library(KREG_JANSSON_ARCHIVE libjansson.a
                     HINTS ${JANSSON_LIBRARY_DIRS})
        find_library(KREG_YAML_ARCHIVE libyaml.a HINTS ${YAML_LIBRARY_DIRS})
        if(KREG_JANSSON_ARCHIVE AND KREG_YAML_ARCHIVE)
            set(json ${KREG_JANSSON_ARCHIVE})
            set(yaml ${KREG_YAML_ARCHIVE})
        endif()
        find_program(KREG_LDD ldd)
        if(KREG_LDD AND EXISTS "${curl}")
            execute_process(COMMAND ${KREG_LDD} ${curl} OUTPUT_VARIABLE deps
                            RESULT_VARIABLE ldd_rc ERROR_QUIET)
            if(ldd_rc EQUAL 0)
                string(REGEX MATCHALL "=> (/[^ \n]+)" paths "${deps}")
                set(sized "")
                foreach(p ${paths})
                    string(REGEX REPLACE "^=> " "" p "${p}")
                    if(EXISTS "${p}")
                        file(SIZE "${p}" size)
                        # zero-padded so that a string sort is numeric
                        string(LENGTH "${size}" n)
                        math(EXPR pad "12 - ${n}")
                        string(REPEAT "0" ${pad} zeros)
                        list(APPEND sized "${zeros}${size}|${p}")
                    endif()
                endforeach()
                list(SORT sized ORDER DESCENDING)
                foreach(e ${sized})
                    string(REGEX REPLACE "^[0-9]+\\|" "" p "${e}")
                    list(APPEND first "${p}")
                endforeach()
            endif()
        endif()
    endif()
    if(first)
        list(LENGTH first nfirst)
        message(STATUS "kreg CLI: ${nfirst} of libcurl's libraries named "
                       "first, largest first")
        target_link_libraries(${tgt} PRIVATE "-Wl,--push-state,--no-as-needed"
                              ${first} "-Wl,--pop-state")
    endif()
    target_link_libraries(${tgt} PRIVATE ${json} ${yaml} PkgConfig::CURL
                          Threads::Threads)
endfunction()
