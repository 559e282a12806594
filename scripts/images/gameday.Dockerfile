# gameday/gameday:<version> — the static gameday binary FROM scratch; the
# docker backend runs stub targets (`gameday stub`) from it.
# Built by `make images` from a context holding `gameday` and an empty `tmp`.
FROM scratch
COPY tmp /tmp
COPY gameday /gameday
ENV TMPDIR=/tmp
LABEL org.opencontainers.image.title="gameday" \
      gameday.component="gameday"
ENTRYPOINT ["/gameday"]
