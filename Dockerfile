# syntax=docker/dockerfile:1
#
# endpointctl in a container, for CI runners and Kubernetes (deploy/kubernetes/):
#
#   docker build -t endpointctl:0.1.0 .
#   docker run --rm -e HF_TOKEN -v "$PWD/manifests:/manifests:ro" endpointctl:0.1.0 plan /manifests
#
# The token is never part of the image: give it at run time (HF_TOKEN, or a Kubernetes Secret).
#
# The base is pinned by its exact version tag and by digest (the multi-platform index). The digest is the
# one published for this tag; bump both together, checking it with
#   docker buildx imagetools inspect python:3.12.11-slim-bookworm
ARG PYTHON_IMAGE=python:3.12.11-slim-bookworm@sha256:519591d6871b7bc437060736b9f7456b8731f1499a57e22e6c285135ae657bf7

# -- builder: a wheel of this checkout, installed with its dependencies into /opt/endpointctl ----------
FROM ${PYTHON_IMAGE} AS builder

# Must equal pyproject.toml's version: the wheel's file name carries it, so a mismatch fails the build.
ARG ENDPOINTCTL_VERSION=0.1.0

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src
COPY pyproject.toml README.md ./
COPY endpointctl/ endpointctl/

# The wheel is built in an isolated environment (flit_core, per pyproject.toml's build-system), which
# stays in this stage; the virtual environment gets no pip, no setuptools and no build tools at all.
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv --without-pip /opt/endpointctl \
    && pip --python /opt/endpointctl/bin/python install \
        "/wheels/endpointctl-${ENDPOINTCTL_VERSION}-py3-none-any.whl" \
    && /opt/endpointctl/bin/endpointctl --version

# -- runtime: the virtual environment on the same base, as a non-root user -----------------------------
FROM ${PYTHON_IMAGE}

ARG ENDPOINTCTL_VERSION=0.1.0
LABEL org.opencontainers.image.title="endpointctl" \
      org.opencontainers.image.description="Declarative management of Hugging Face Inference Endpoints" \
      org.opencontainers.image.version="${ENDPOINTCTL_VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"

# State (apply's locks, run's leases, the sandbox's database) and the completion cache go under
# /var/lib/endpointctl, which the user owns; in Kubernetes, mount an emptyDir there and keep the root
# filesystem read-only.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/endpointctl/bin:$PATH \
    HOME=/home/endpointctl \
    XDG_STATE_HOME=/var/lib/endpointctl/state \
    XDG_CACHE_HOME=/var/lib/endpointctl/cache \
    HF_HOME=/var/lib/endpointctl/cache/huggingface

RUN groupadd --system --gid 10001 endpointctl \
    && useradd --system --uid 10001 --gid endpointctl --home-dir /home/endpointctl --create-home \
        --shell /usr/sbin/nologin endpointctl \
    && install --directory --owner=endpointctl --group=endpointctl --mode=0700 \
        /var/lib/endpointctl /var/lib/endpointctl/state /var/lib/endpointctl/cache

COPY --from=builder /opt/endpointctl /opt/endpointctl

USER 10001:10001
WORKDIR /home/endpointctl

ENTRYPOINT ["endpointctl"]
CMD ["--help"]
