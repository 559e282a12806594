package alerting_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestAlertingSpecs(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "alerting")
}
