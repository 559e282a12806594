# gameday/gameday:<version> — the static gameday binary FROM scratch; the
# docker backend runs stub targets (`gameday stub`) from it. It carries the
# pinned MinIO binary beside it (/minio, where the harness looks first), so
# a Kubernetes Job's pods can run `gameday run --backend process` on it
# (gameday export k8s-job).
# Built by `make images` from a context holding `gameday`, `minio` and an
# empty `tmp`.
FROM scratch
COPY tmp /tmp
COPY gameday /gameday
COPY minio /minio
ENV TMPDIR=/tmp
LABEL org.opencontainers.image.title="gameday" \
      gameday.component="gameday"
ENTRYPOINT ["/gameday"]
